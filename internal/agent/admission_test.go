package agent

import (
	"context"
	"strings"
	"testing"

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
