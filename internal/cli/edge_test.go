package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestEdgeCerts: `orbit edge certs` lists a certificate file and a
// resolver's name whose order fails, with the failure.
func TestEdgeCerts(t *testing.T) {
	cf, kf := orbittest.WriteCert(t, "files.lab.test", 90*24*time.Hour)
	a := testagent.Start(t, func(c *agent.Config) {
		c.EdgeCfg = &agent.EdgeConfig{Certificates: []agent.CertConfig{{CertFile: cf, KeyFile: kf}},
			Resolvers: []agent.ResolverConfig{{Name: "le", ACME: &agent.ACMEConfig{CAServer: "https://127.0.0.1:1/directory"}}}}
	})
	put(t, a, "/v1/agent/service/register", `{"Name":"pub","Port":20001,"Tags":["traefik.enable=true",
		"traefik.http.routers.pub.rule=Host(`+"`pub.lab.test`"+`)","traefik.http.routers.pub.tls.certresolver=le"],
		"Check":{"TTL":"1h","Status":"passing"}}`)
	var out string
	orbittest.Eventually(t, 30*time.Second, "the failed order in orbit edge certs", func() bool {
		code, o, _ := runCLI(t, a.Addr, "", "edge", "certs")
		out = o
		return code == 0 && strings.Contains(o, "error: ")
	})
	t.Logf("orbit edge certs:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Name") {
		t.Fatalf("orbit edge certs:\n%s", out)
	}
	if f := strings.Fields(lines[1]); f[0] != "files.lab.test" || f[1] != "file" || f[3] != "files.lab.test" || f[len(f)-1] != "valid" {
		t.Errorf("file row: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[0] != "pub.lab.test" || f[1] != "le" || f[2] != "-" || !strings.Contains(lines[2], "127.0.0.1:1") {
		t.Errorf("resolver row: %q", lines[2])
	}
}
