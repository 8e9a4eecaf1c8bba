package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStreamRefusesBadInput: a stream with a bad host name, this agent's
// own name, or a body that is not a stream is refused with a 4xx and a
// message, and leaves no host behind.
func TestStreamRefusesBadInput(t *testing.T) {
	s, srv, _ := newTestServer(t, fakeRoot(t), 1)
	for _, c := range []struct {
		method, query, body string
		code                int
		msg                 string
	}{
		{"GET", "host=", "", 400, "want a node name"},
		{"GET", "host=a/b", "", 400, "want a node name"},
		{"GET", "host=node1", "", 409, "own name"},
		{"GET", "host=child", "", 200, `"charts":{}`},
		{"POST", "host=node1", "x", 409, "own name"},
		{"POST", "host=child", "not a deflate stream", 400, "stream of child, frame 1"},
	} {
		req, err := http.NewRequest(c.method, srv.URL+StreamPath+"?"+c.query, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(b.String(), c.msg) {
			t.Errorf("%s ?%s: %d %q, want %d with %q", c.method, c.query, resp.StatusCode, b.String(), c.code, c.msg)
		}
	}
	if m := s.children.get("child"); m == nil || m.streaming() {
		t.Errorf("after a broken stream the child is %+v, want known and not streaming", m)
	}
	if code, body := get(t, srv.URL+"/host/nobody/api/v1/info"); code != 404 {
		t.Errorf("unknown host: %d %s", code, body)
	}
}
