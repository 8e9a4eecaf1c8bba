package agent

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/policy"
)

// TestAdmitterConfig: the agent builds its admission check from the
// policy block (the decision itself is tested in internal/policy).
func TestAdmitterConfig(t *testing.T) {
	if _, err := newAdmitter(PolicyConfig{Enforce: "sometimes"}); err == nil {
		t.Error("bad enforce mode accepted")
	}
	if _, err := newAdmitter(PolicyConfig{File: t.TempDir() + "/missing.hcl"}); err == nil || !strings.Contains(err.Error(), "policy file") {
		t.Errorf("missing policy file: %v", err)
	}
	a, err := newAdmitter(PolicyConfig{})
	if err != nil || a.mode != policy.ModeWarn {
		t.Fatalf("default admitter: %+v %v", a, err)
	}
	j := &job.Job{ID: "web", Groups: []*job.Group{{Name: "web", Count: 1, Tasks: []*job.Task{{Name: "web", Driver: "raw_exec"}}}}}
	if ws, err := a.Admit(context.Background(), j); err != nil || len(ws) == 0 {
		t.Errorf("warn mode: warnings %v, err %v", ws, err)
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
