package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// startServer runs a server-only agent whose store other servers can join.
// Its ACLs are on (not -dev): commands pass root, its management token.
func startServer(t *testing.T, name, retryJoin string) *testagent.Agent {
	return testagent.StartConfig(t, &agent.Config{Server: true,
		ACL: &agent.ACLConfig{Tokens: &agent.ACLTokens{InitialManagement: orbittest.RootToken}}, DataDir: t.TempDir(), NodeName: name, HTTPAddr: "127.0.0.1:0",
		BindAddr: "127.0.0.1", DNSAddr: "off", LeaseTTL: "2s", StoreClientAddr: orbittest.FreeAddr(t),
		StorePeerAddr: orbittest.FreeAddr(t), RetryJoin: retryJoin, BootstrapExpect: 2})
}

// row finds the table row whose first column is name.
func row(out, name string) []string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			return f
		}
	}
	return nil
}

// root is the -token flag of startServer's management token.
var root = []string{"-token", orbittest.RootToken}

func TestOperatorRaftAndMembers(t *testing.T) {
	s1 := startServer(t, "s1", "")
	s2 := startServer(t, "s2", s1.Addr)

	code, out, errs := runCLI(t, s2.Addr, "", "operator", "raft", "list-peers", root[0], root[1])
	if code != 0 || !strings.HasPrefix(out, "Node") {
		t.Fatalf("list-peers: %d %q %q", code, out, errs)
	}
	states := map[string]bool{}
	for name, s := range map[string]*testagent.Agent{"s1": s1, "s2": s2} {
		r := row(out, name)
		if len(r) != 6 || r[2] != s.Addr || r[4] != "true" {
			t.Fatalf("list-peers row of %s = %v in\n%s", name, r, out)
		}
		states[r[3]] = true
	}
	if !states["leader"] || !states["follower"] {
		t.Fatalf("list-peers states = %v, want a leader and a follower:\n%s", states, out)
	}

	code, out, errs = runCLI(t, s1.Addr, "", "members", root[0], root[1])
	if code != 0 {
		t.Fatalf("members: %d %q", code, errs)
	}
	for _, name := range []string{"s1", "s2"} {
		r := row(out, name)
		if len(r) < 5 || r[2] != "alive" || r[3] != "server" || (r[4] != "leader" && r[4] != "follower") {
			t.Fatalf("members row of %s = %v in\n%s", name, r, out)
		}
	}

	if code, _, errs := runCLI(t, s1.Addr, "", "operator", "raft", "remove-peer", root[0], root[1]); code != 2 || !strings.Contains(errs, "-id") {
		t.Fatalf("remove-peer without a peer: %d %q", code, errs)
	}
	code, _, errs = runCLI(t, s1.Addr, "", "operator", "raft", "remove-peer", root[0], root[1], "-id", "nope")
	if code != 1 || !strings.Contains(errs, "404") {
		t.Fatalf("remove-peer of an unknown id: %d %q", code, errs)
	}
}

func TestOperatorRemoveLastPeerRefused(t *testing.T) {
	s1 := startServer(t, "s1", "")
	code, _, errs := runCLI(t, s1.Addr, "", "operator", "raft", "remove-peer", root[0], root[1], "-address", s1.Addr)
	if code != 1 || !strings.Contains(errs, "409") || !strings.Contains(errs, "last voting server") {
		t.Fatalf("remove the last voter: %d %q", code, errs)
	}
}

func TestSnapshotSaveRestore(t *testing.T) {
	src := testagent.Start(t, func(c *agent.Config) { c.NodeName = "src" })
	put(t, src, "/v1/kv/app/one", "1")
	put(t, src, "/v1/agent/service/register", `{"Name":"web","ID":"web-1","Port":20001}`)
	file := filepath.Join(t.TempDir(), "backup.snap")
	code, out, errs := runCLI(t, src.Addr, "", "snapshot", "save", file)
	if code != 0 || !strings.Contains(out, "Saved and verified snapshot to index") || !strings.Contains(errs, "(100%)") {
		t.Fatalf("snapshot save: %d %q %q", code, out, errs)
	}
	if fi, err := os.Stat(file); err != nil || fi.Size() == 0 {
		t.Fatalf("snapshot file: %v %v", fi, err)
	}

	dst := testagent.Start(t, func(c *agent.Config) { c.NodeName = "dst" })
	code, out, errs = runCLI(t, dst.Addr, "", "snapshot", "restore", file)
	if code != 0 || !strings.Contains(out, "Restored snapshot") || !strings.Contains(errs, "(100%)") {
		t.Fatalf("snapshot restore: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI(t, dst.Addr, "", "kv", "get", "app/one"); code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("restored key: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, dst.Addr, "", "services"); code != 0 || !strings.Contains(out, "web") {
		t.Fatalf("restored service: %d %q", code, out)
	}

	bad := filepath.Join(t.TempDir(), "bad.snap")
	os.WriteFile(bad, []byte("not a snapshot"), 0o600)
	code, _, errs = runCLI(t, dst.Addr, "", "snapshot", "restore", bad)
	if code != 1 || !strings.Contains(errs, "400") || !strings.Contains(errs, "nothing was changed") {
		t.Fatalf("restore of a bad file: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, dst.Addr, "", "snapshot", "save"); code != 2 || !strings.Contains(errs, "FILE") {
		t.Fatalf("save without a file: %d %q", code, errs)
	}
}
