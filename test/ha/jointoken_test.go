package ha_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// orbitCLI runs the orbit CLI against addr with the root token and returns
// its output, failing the test when it fails.
func orbitCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, orbitBin, args...)
	cmd.Env = append(cmd.Environ(), "ORBIT_ADDR="+addr, "ORBIT_TOKEN="+orbittest.RootToken)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("orbit %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// refusedJoin runs a server that tries to join s1 and must exit: it returns
// what it logged.
func refusedJoin(t *testing.T, s1 *server, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := append([]string{"agent", "-server", "-node", "intruder", "-data-dir", t.TempDir(), "-bind", "127.0.0.1",
		"-http-addr", orbittest.FreeAddr(t), "-store-peer-addr", orbittest.FreeAddr(t),
		"-store-client-addr", orbittest.FreeAddr(t), "-dns-addr", "off",
		"-entrypoint", "web=127.0.0.1:0,websecure=127.0.0.1:0", "-retry-join", s1.http}, extra...)
	out, err := exec.CommandContext(ctx, orbitBin, args...).CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("a server without a valid join authorisation still runs after 2m:\n%s", out)
	}
	if err == nil {
		t.Fatalf("a server without a valid join authorisation exited cleanly:\n%s", out)
	}
	return string(out)
}

// createJoinToken creates a join token through s with the CLI and returns
// its ID and secret.
func createJoinToken(t *testing.T, s *server, desc string) (id, secret string) {
	t.Helper()
	created := orbitCLI(t, s.http, "operator", "join-token", "create", "-description", desc, "-ttl", "1h")
	for _, line := range strings.Split(created, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "ID:" {
			id = f[1]
		} else if len(f) == 2 && f[0] == "SecretID:" {
			secret = f[1]
		}
	}
	if id == "" || secret == "" {
		t.Fatalf("join-token create printed no ID and SecretID:\n%s", created)
	}
	return id, secret
}

// A server joins with an ACL token holding operator:write or with a join
// token; without either, or with a revoked one, it is refused with a 403
// that says what is missing, and it never becomes a member.
func TestJoinNeedsOperatorWriteOrJoinToken(t *testing.T) {
	ss := newServers(t, 2)
	startAll(t, 2, ss[0])

	out := refusedJoin(t, ss[0])
	if !strings.Contains(out, "403") || !strings.Contains(out, "needs an ACL token with operator:write or a join token") {
		t.Fatalf("refused join without a token does not say why:\n%s", out)
	}

	id, secret := createJoinToken(t, ss[0], "s2")
	if list := orbitCLI(t, ss[0].http, "operator", "join-token", "list"); !strings.Contains(list, id) || strings.Contains(list, secret) {
		t.Fatalf("join-token list should name %s and never show its secret:\n%s", id, list)
	}

	// A wrong secret is refused as well.
	if out := refusedJoin(t, ss[0], "-join-token", "not-"+secret); !strings.Contains(out, "join token unknown, revoked or expired") {
		t.Fatalf("refused join with a wrong join token does not say why:\n%s", out)
	}

	// The second server carries no ACL token (its config names none), only
	// the join token.
	ss[1].extra = []string{"-join-token", secret}
	ss[1].noACLConfig = true
	startAll(t, 2, ss[1])
	orbittest.Eventually(t, 60*time.Second, "two voting servers", func() bool {
		code, body := call(t, "GET", ss[0].url()+"/v1/operator/raft/configuration", "")
		var cfg struct {
			Servers []struct {
				Node  string
				Voter bool
			}
		}
		if code != 200 || json.Unmarshal([]byte(body), &cfg) != nil {
			return false
		}
		voters := 0
		for _, s := range cfg.Servers {
			if s.Voter {
				voters++
			}
		}
		return voters == 2
	})

	orbitCLI(t, ss[0].http, "operator", "join-token", "revoke", id)
	if list := orbitCLI(t, ss[0].http, "operator", "join-token", "list"); strings.Contains(list, id) {
		t.Fatalf("revoked join token still listed:\n%s", list)
	}
	if out := refusedJoin(t, ss[0], "-join-token", secret); !strings.Contains(out, "join token unknown, revoked or expired") {
		t.Fatalf("refused join with a revoked join token does not say why:\n%s", out)
	}
	code, body := call(t, "GET", ss[0].url()+"/v1/operator/raft/configuration", "")
	if code != 200 || strings.Contains(body, "intruder") {
		t.Fatalf("refused servers appear in the raft configuration: %d %s", code, body)
	}
}
