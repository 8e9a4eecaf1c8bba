package agent

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/proxy"
)

func TestEdgeConfigHCL(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	if err := os.WriteFile(root, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "agent.hcl")
	if err := os.WriteFile(file, []byte(`
edge_config {
  certificate_resolver "le" {
    acme {
      email     = "ops@lab.example"
      ca_server = "https://acme.lab.example/dir"
      ca_root   = "`+root+`"
      challenge = "dns-01"
      key_type  = "ec384"
    }
  }
  entrypoint "web" { redirect_to = "websecure" }
  entrypoint "websecure" { hsts = "8760h" }
}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var c Config
	if err := LoadFile(file, &c); err != nil {
		t.Fatal(err)
	}
	res, err := acmeResolvers(c.EdgeCfg)
	if err != nil || len(res) != 1 {
		t.Fatalf("resolvers %+v %v", res, err)
	}
	if r := res[0]; r.Name != "le" || r.Email != "ops@lab.example" || r.CAServer != "https://acme.lab.example/dir" ||
		r.Challenge != "dns-01" || r.KeyType != "ec384" || !strings.HasPrefix(string(r.CARoot), "-----BEGIN") {
		t.Errorf("resolver %+v", r)
	}
	eps, err := edgeEntryPoints(map[string]string{"web": ":80", "websecure": ":443"}, c.EdgeCfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range eps {
		if ep.Name == "web" && ep.RedirectTo != "websecure" || ep.Name == "websecure" && (ep.HSTS != 8760*time.Hour || !ep.TLS) {
			t.Errorf("entry point %+v", ep)
		}
	}
	for _, bad := range []*EdgeConfig{
		{Resolvers: []ResolverConfig{{Name: "le"}}},
		{Resolvers: []ResolverConfig{{Name: "le", ACME: &ACMEConfig{CARoot: filepath.Join(dir, "missing.pem")}}}},
	} {
		if _, err := acmeResolvers(bad); err == nil {
			t.Errorf("accepted %+v", bad.Resolvers[0])
		}
	}
	for _, bad := range []*EdgeConfig{
		{EntryPoints: []EntryPointConfig{{Name: "nope", RedirectTo: "websecure"}}},
		{EntryPoints: []EntryPointConfig{{Name: "websecure", HSTS: "a year"}}},
	} {
		if _, err := edgeEntryPoints(map[string]string{"web": ":80", "websecure": ":443"}, bad); err == nil {
			t.Errorf("accepted %+v", bad.EntryPoints[0])
		}
	}
}

func TestChallengeAddrs(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	eps := []proxy.EntryPoint{{Name: "alt"}, {Name: "web"}, {Name: "https", TLS: true}, {Name: "websecure", TLS: true}}
	bound := map[string]net.Addr{"alt": tcp("127.0.0.1:81"), "web": tcp("127.0.0.1:80"), "https": tcp("127.0.0.1:8443"), "websecure": tcp("127.0.0.1:443")}
	if h, s := challengeAddrs(eps, bound); h != "127.0.0.1:80" || s != "127.0.0.1:443" {
		t.Errorf("challengeAddrs = %s, %s", h, s)
	}
	if h, s := challengeAddrs(eps[:1], bound); h != "127.0.0.1:81" || s != "" {
		t.Errorf("challengeAddrs without web/websecure = %s, %s", h, s)
	}
	for in, want := range map[string]string{"0.0.0.0:53": "127.0.0.1:53", "[::]:53": "127.0.0.1:53", "10.0.0.1:53": "10.0.0.1:53"} {
		if got := dialable(tcp(in)); got != want {
			t.Errorf("dialable(%s) = %s, want %s", in, got, want)
		}
	}
}
