package snapshot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/orbittest"
)

// writeOnly allows operator:write with the token "op" and denies the rest.
type writeOnly struct{}

func (writeOnly) Authorize(_ context.Context, token string, rule acl.Rule) error {
	if token == "op" && rule.Resource == acl.Operator && rule.Access == acl.Write {
		return nil
	}
	return acl.ErrDenied
}

func TestHandlerWithConsulAPI(t *testing.T) {
	st := orbittest.NewStore(t)
	ctx := context.Background()
	if _, _, err := st.KVPut(ctx, "a", 3, []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(st, writeOnly{}, nil, orbittest.Logger(t)))
	defer srv.Close()
	c, err := capi.NewClient(&capi.Config{Address: srv.URL, Token: "op"})
	if err != nil {
		t.Fatal(err)
	}
	rc, meta, err := c.Snapshot().Save(nil)
	if err != nil {
		t.Fatal(err)
	}
	archive, _ := io.ReadAll(rc)
	rc.Close()
	if _, d, err := Read(bytes.NewReader(archive)); err != nil || len(d.KVs) != 1 || meta.LastIndex != uint64(d.Revision) {
		t.Fatalf("saved %d keys at %d (header %d): %v", len(d.KVs), d.Revision, meta.LastIndex, err)
	}
	if _, _, err := st.KVDelete(ctx, "a", false, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Snapshot().Restore(nil, bytes.NewReader(archive)); err != nil {
		t.Fatal(err)
	}
	if kv, err := st.Get(ctx, "/orbit/kv/a"); err != nil || len(kv.Value) == 0 {
		t.Fatalf("restored key: %v %v", kv, err)
	}

	for _, tc := range []struct {
		method, token string
		code          int
	}{{"GET", "", 403}, {"PUT", "reader", 403}, {"DELETE", "op", 405}, {"PUT", "op", 400}} {
		req, _ := http.NewRequest(tc.method, srv.URL+Path, strings.NewReader("junk"))
		req.Header.Set("X-Consul-Token", tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s with token %q = %d %s, want %d", tc.method, tc.token, resp.StatusCode, body, tc.code)
		}
	}
}
