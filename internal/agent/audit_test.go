package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// kvWriter allows the token "writer" to write KV and read jobs; it denies
// the rest.
type kvWriter struct{}

func (kvWriter) Authorize(_ context.Context, token string, rule acl.Rule) error {
	if token == "writer" && (rule.Resource == acl.Key || rule == acl.Rule{Resource: acl.Job, Access: acl.Read}) {
		return nil
	}
	return acl.ErrDenied
}

// TestAuditLogRecordsWritesAndDenials starts a real agent from an HCL file
// with an audit block and checks that a write on the API listener and a
// denial on the Nomad listener are in the file, and an allowed read is not.
func TestAuditLogRecordsWritesAndDenials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "logs", "audit.log")
	hcl := filepath.Join(dir, "agent.hcl")
	os.WriteFile(hcl, []byte(`
audit {
  enabled     = true
  path        = "`+path+`"
  max_size_mb = 1
  max_files   = 3
}
`), 0o600)
	cfg, err := ParseFlags([]string{"-config", hcl, "-dev", "-data-dir", filepath.Join(dir, "data"), "-node", "node1",
		"-http-addr", "127.0.0.1:0", "-dns-addr", "off", "-nomad-addr", "127.0.0.1:0", "-lease-ttl", "2s",
		"-entrypoint", "web=127.0.0.1:0"}, flag.NewFlagSet("agent", flag.ContinueOnError))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Authorizer = kvWriter{}
	a := startAgent(t, cfg)
	consul, nomad := "http://"+a.HTTPAddr().String(), "http://"+a.NomadAddr().String()

	send := func(method, url, token string, want int) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader("v"))
		if token != "" {
			req.Header.Set("X-Consul-Token", token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d", method, url, resp.StatusCode, want)
		}
	}
	send("PUT", consul+"/v1/kv/app/db?token=ignored", "writer", 200)
	send("GET", nomad+"/v1/jobs", "writer", 200) // an allowed read: not audited
	send("GET", nomad+"/v1/jobs", "", 403)

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got []httpkit.AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "writer") {
			t.Fatalf("the audit log holds a token secret: %s", sc.Text())
		}
		var r httpkit.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	if len(got) != 2 {
		t.Fatalf("records %+v, want the write and the denial", got)
	}
	w, d := got[0], got[1]
	if w.Listener != "api" || w.Method != "PUT" || w.Path != "/v1/kv/app/db" || w.Status != 200 ||
		w.Token != httpkit.SecretHash("writer") || !strings.HasPrefix(w.RemoteAddr, "127.0.0.1:") || w.RequestID == "" || w.Time.IsZero() {
		t.Fatalf("write record %+v", w)
	}
	if d.Listener != "nomad-api" || d.Method != "GET" || d.Path != "/v1/jobs" || d.Status != 403 || d.Token != "anonymous" {
		t.Fatalf("denial record %+v", d)
	}
}

func TestAuditConfig(t *testing.T) {
	tests := []struct {
		name    string
		c       *AuditConfig
		on      bool
		path    string
		size    int64
		wantErr string
	}{
		{"absent", nil, false, "", 0, ""},
		{"disabled", &AuditConfig{Path: "/x"}, false, "", 0, ""},
		{"defaults in the data dir", &AuditConfig{Enabled: true}, true, "/data/audit/audit.log", 0, ""},
		{"sizes in MiB", &AuditConfig{Enabled: true, Path: "/var/log/orbit.log", MaxSizeMB: 2, MaxFiles: 4}, true, "/var/log/orbit.log", 2 << 20, ""},
		{"negative", &AuditConfig{Enabled: true, MaxFiles: -1}, false, "", 0, "max_files -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, on, err := tt.c.auditConfig("/data")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || on != tt.on || (on && (got.Path != tt.path || got.MaxSize != tt.size)) {
				t.Fatalf("auditConfig = %+v, %v, %v", got, on, err)
			}
		})
	}
}

// TestAuditLogNamesTokensByAccessor: with ACLs on, a token's records carry
// its accessor ID (the resolver names it), an unknown secret a hash, and
// never a secret.
func TestAuditLogNamesTokensByAccessor(t *testing.T) {
	dir := t.TempDir()
	on := true
	mgmt := "5f1ec7e5-0000-4000-8000-00000000beef"
	cfg := &Config{Dev: true, DataDir: dir, NodeName: "node1", HTTPAddr: "127.0.0.1:0", DNSAddr: "off", LeaseTTL: "2s",
		EntryPoints: map[string]string{"web": "127.0.0.1:0"},
		ACL:         &ACLConfig{Enabled: &on, DefaultPolicy: "deny", Tokens: &ACLTokens{InitialManagement: mgmt}},
		Audit:       &AuditConfig{Enabled: true}}
	a := startAgent(t, cfg)
	base := "http://" + a.HTTPAddr().String()
	send := func(method, path, token string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader("v"))
		req.Header.Set("X-Consul-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := send("GET", "/v1/acl/token/self", mgmt)
	var self struct{ AccessorID string }
	json.NewDecoder(resp.Body).Decode(&self)
	resp.Body.Close()
	if self.AccessorID == "" {
		t.Fatalf("token self: %s", resp.Status)
	}
	send("PUT", "/v1/kv/app/db", mgmt).Body.Close()
	send("DELETE", "/v1/kv/app/db", "not-a-token").Body.Close()

	b, err := os.ReadFile(filepath.Join(dir, "audit", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), mgmt) || strings.Contains(string(b), "not-a-token") {
		t.Fatalf("the audit log holds a secret:\n%s", b)
	}
	var got []httpkit.AuditRecord
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r httpkit.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got = append(got, r)
	}
	if len(got) != 2 || got[0].Token != self.AccessorID || got[0].Status != 200 ||
		got[1].Token != httpkit.SecretHash("not-a-token") || got[1].Status != 403 {
		t.Fatalf("records %+v, want the management write by accessor %s and the unknown token's denial", got, self.AccessorID)
	}
}
