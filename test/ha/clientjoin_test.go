package ha_test

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/operator"
	"github.com/orbit/orbit/internal/orbittest"
)

// doWith sends one request (a body any endpoint here decodes) with the
// given headers only (no root token).
func doWith(method, url string, hdr map[string]string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(`{"Name":"x","Port":80}`))
	if err != nil {
		return 0, "", err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// A client agent without any ACL token joins the servers with a join
// token: its node registers and stays alive. The join token does nothing
// else: presented as an ACL token, or in the join header, it reads and
// writes neither KV nor the agent nor the join tokens. A client with a
// wrong join token is refused with a 403 that says so and exits.
func TestClientAgentJoinsWithJoinToken(t *testing.T) {
	ss := newServers(t, 1)
	startAll(t, 1, ss[0])
	_, secret := createJoinToken(t, ss[0], "clients")

	start := time.Now()
	c1 := orbittest.StartAgentProcess(t, orbitBin, "-client", "-node", "c1", "-data-dir", t.TempDir(),
		"-servers", ss[0].http, "-join-token", secret)
	orbittest.Eventually(t, 60*time.Second, "c1 alive on s1", func() bool { return serfHealthy(ss[0], "c1") })
	t.Logf("client joined with a join token and is alive after %v", time.Since(start).Round(10*time.Millisecond))

	// The join token is no ACL token.
	for _, hdr := range []map[string]string{{"X-Consul-Token": secret}, {operator.JoinTokenHeader: secret}} {
		for _, req := range []struct{ method, url string }{
			{"GET", ss[0].url() + "/v1/kv/ha/secret"},
			{"PUT", ss[0].url() + "/v1/kv/ha/secret"},
			{"GET", ss[0].url() + "/v1/agent/self"},
			{"GET", ss[0].url() + "/v1/operator/join-tokens"},
			{"PUT", ss[0].url() + "/v1/operator/join-tokens"},
			{"GET", ss[0].url() + "/v1/operator/raft/configuration"},
			{"PUT", ss[0].url() + "/v1/agent/leave"},
			{"PUT", "http://" + c1.Addr + "/v1/agent/service/register"},
		} {
			code, body, err := doWith(req.method, req.url, hdr)
			if err != nil || code != http.StatusForbidden {
				t.Errorf("%s %s with the join token in %v: %d %v %q, want 403", req.method, req.url, hdr, code, err, body)
			}
		}
	}
	if code, body := call(t, "GET", ss[0].url()+"/v1/kv/ha/secret", ""); code != http.StatusNotFound {
		t.Fatalf("the join token wrote KV: %d %s", code, body)
	}

	// A wrong join token: refused, and the client says why and exits.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, orbitBin, "agent", "-client", "-node", "c2", "-data-dir", t.TempDir(),
		"-http-addr", "127.0.0.1:0", "-dns-addr", "off", "-entrypoint", "web=127.0.0.1:0,websecure=127.0.0.1:0",
		"-servers", ss[0].http, "-join-token", "not-"+secret).CombinedOutput()
	if ctx.Err() != nil || err == nil {
		t.Fatalf("a client with a wrong join token did not exit with an error (%v):\n%s", err, out)
	}
	if !strings.Contains(string(out), "403") || !strings.Contains(string(out), "join token unknown, revoked or expired") {
		t.Fatalf("a refused client does not say why:\n%s", out)
	}
	if code, body := call(t, "GET", ss[0].url()+"/v1/catalog/nodes", ""); code != 200 || strings.Contains(body, `"c2"`) {
		t.Fatalf("catalog nodes after a refused client: %d %s", code, body)
	}
}
