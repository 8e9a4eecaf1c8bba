package agent_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// rootToken is the servers' initial management token: ACLs are on (not
// -dev), and the second server joins with it as its agent token.
const rootToken = "5f4dcc3b-5aa7-4c6e-9d1b-0e5c1a2b3c4d"

// serverConfig is a server-only agent on loopback with its store on free
// ports.
func serverConfig(t *testing.T, name, retryJoin string) *agent.Config {
	return &agent.Config{Server: true, ACL: &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: rootToken}}, DataDir: t.TempDir(), NodeName: name, HTTPAddr: "127.0.0.1:0",
		BindAddr: "127.0.0.1", DNSAddr: "off", LeaseTTL: "2s", LogLevel: "debug",
		StoreClientAddr: orbittest.FreeAddr(t), StorePeerAddr: orbittest.FreeAddr(t),
		RetryJoin: retryJoin, BootstrapExpect: 2}
}

func call(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Consul-Token", rootToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A second server joins the first one's store through -retry-join: both
// list two peers, and a key written through one is read through the other.
func TestSecondServerJoinsWithRetryJoin(t *testing.T) {
	s1 := testagent.StartConfig(t, serverConfig(t, "s1", ""))
	s2 := testagent.StartConfig(t, serverConfig(t, "s2", s1.Addr))

	for _, s := range []*testagent.Agent{s1, s2} {
		code, body := call(t, "GET", s.URL+"/v1/status/peers", "")
		var peers []string
		if code != 200 || json.Unmarshal([]byte(body), &peers) != nil || len(peers) != 2 {
			t.Fatalf("%s /v1/status/peers = %d %s, want two peers", s.Addr, code, body)
		}
	}
	if code, body := call(t, "PUT", s1.URL+"/v1/kv/ha/x", "one"); code != 200 {
		t.Fatalf("kv put through s1: %d %s", code, body)
	}
	orbittest.Eventually(t, 30*time.Second, "the key through s2", func() bool {
		code, body := call(t, "GET", s2.URL+"/v1/kv/ha/x?raw", "")
		return code == 200 && body == "one"
	})

	// The join endpoint names a bad request instead of adding anything.
	code, body := call(t, "PUT", s1.URL+"/v1/operator/store/join", `{"Name":"s3","PeerURL":"not a url"}`)
	if code != 400 || !strings.Contains(body, "PeerURL") {
		t.Fatalf("bad join = %d %s, want 400 naming PeerURL", code, body)
	}
}

// -retry-join is for servers with the embedded store.
func TestRetryJoinNeedsAServer(t *testing.T) {
	cfg := serverConfig(t, "c1", "127.0.0.1:1")
	cfg.Server, cfg.Client = false, true
	if _, err := agent.New(cfg, orbittest.Logger(t)); err == nil || !strings.Contains(err.Error(), "-servers") {
		t.Fatalf("client with -retry-join: %v, want an error pointing to -servers", err)
	}
}
