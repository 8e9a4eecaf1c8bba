package agent

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/jobspec"
)

const staticPortJob = `
job "web" {
  group "web" {
    count = 2
    network {
      port "http" { static = 8080 }
    }
    task "web" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

func TestAdmitter(t *testing.T) {
	j, err := jobspec.Parse("web.nomad.hcl", []byte(staticPortJob), jobspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode     string
		refused  bool
		warnings bool
	}{
		{EnforceOff, false, false},
		{EnforceWarn, false, true},
		{"", false, true},
		{EnforceStrict, true, false},
	}
	for _, tt := range tests {
		a, err := newAdmitter(PolicyConfig{Enforce: tt.mode})
		if err != nil {
			t.Fatal(err)
		}
		ws, err := a.Admit(context.Background(), j)
		if (err != nil) != tt.refused {
			t.Errorf("%q: refused = %v (%v), want %v", tt.mode, err != nil, err, tt.refused)
		}
		if err != nil && !strings.Contains(err.Error(), "web.nomad.hcl:6:") || err != nil && !strings.Contains(err.Error(), "[dynamic-ports]") {
			t.Errorf("%q: refusal does not point at the static port: %v", tt.mode, err)
		}
		if (len(ws) > 0) != tt.warnings {
			t.Errorf("%q: warnings %v, want some: %v", tt.mode, ws, tt.warnings)
		}
		if tt.warnings && !strings.Contains(strings.Join(ws, "\n"), "dynamic-ports") {
			t.Errorf("%q: warnings miss dynamic-ports: %v", tt.mode, ws)
		}
	}
	if _, err := newAdmitter(PolicyConfig{Enforce: "sometimes"}); err == nil {
		t.Error("bad enforce mode accepted")
	}
}

func TestConfigFileAndFlags(t *testing.T) {
	file := t.TempDir() + "/agent.hcl"
	src := "node_name = \"fromfile\"\ndatacenter = \"lab\"\ndns {\n  service_ttl = \"5s\"\n}\nedge_config {\n  panic_threshold = 0.5\n}\npolicy {\n  enforce = \"strict\"\n}\n"
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	cfg, err := ParseFlags([]string{"--config", file, "-node", "fromflag", "-entrypoint", "web=127.0.0.1:0", "-entrypoint", "api=127.0.0.1:0", "-dev"}, fs)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Defaults(); err != nil {
		t.Fatal(err)
	}
	if cfg.NodeName != "fromflag" || cfg.Datacenter != "lab" || cfg.Policy.Enforce != "strict" || cfg.EdgeCfg.PanicThreshold != 0.5 {
		t.Fatalf("merged config: %+v", cfg)
	}
	if len(cfg.EntryPoints) != 2 {
		t.Fatalf("repeated -entrypoint: %v", cfg.EntryPoints)
	}
	a := &Agent{cfg: cfg}
	dc, err := a.dnsConfig()
	if err != nil || dc.ServiceTTL != 5*time.Second {
		t.Fatalf("dns config: %+v %v", dc, err)
	}
	// A bad file names the file, line and column.
	bad := t.TempDir() + "/bad.hcl"
	os.WriteFile(bad, []byte("node_name = \n"), 0o600)
	_, err = ParseFlags([]string{"-config", bad}, flag.NewFlagSet("agent", flag.ContinueOnError))
	if err == nil || !strings.Contains(err.Error(), "bad.hcl:1:") {
		t.Fatalf("bad config error: %v", err)
	}
}
