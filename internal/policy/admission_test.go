package policy_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/policy"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    policy.Mode
		wantErr bool
	}{
		{"", policy.ModeWarn, false},
		{"off", policy.ModeOff, false},
		{"warn", policy.ModeWarn, false},
		{"strict", policy.ModeStrict, false},
		{"sometimes", "", true},
		{"Strict", "", true},
	}
	for _, tt := range tests {
		got, err := policy.ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDecide(t *testing.T) {
	at := job.Pos{File: "web.hcl", Line: 6, Column: 7}
	errF := policy.Finding{Rule: "dynamic-ports", Severity: policy.SeverityError, Pos: at, Message: "use a dynamic port"}
	warnF := policy.Finding{Rule: "ha-count", Severity: policy.SeverityWarning, Message: "run two"}
	infoF := policy.Finding{Rule: "resources", Severity: policy.SeverityInfo, Message: "declare resources", Exception: "legacy: old"}
	all := []policy.Finding{errF, warnF, infoF}
	tests := []struct {
		name               string
		mode               policy.Mode
		findings           []policy.Finding
		warnings, refusals []string
	}{
		{"off reports nothing", policy.ModeOff, all, nil, nil},
		{"warn turns every finding into a warning", policy.ModeWarn, all, []string{
			"error: web.hcl:6:7: [dynamic-ports] use a dynamic port",
			"warning: [ha-count] run two",
			"[resources] declare resources (excepted: legacy: old)"}, nil},
		{"strict refuses errors and warns about the rest", policy.ModeStrict, all, []string{
			"warning: [ha-count] run two",
			"[resources] declare resources (excepted: legacy: old)"},
			[]string{"web.hcl:6:7: [dynamic-ports] use a dynamic port"}},
		{"strict admits a clean job", policy.ModeStrict, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, rs := policy.Decide(tt.mode, tt.findings)
			if !slices.Equal(ws, tt.warnings) || !slices.Equal(rs, tt.refusals) {
				t.Errorf("Decide = %q, %q\nwant     %q, %q", ws, rs, tt.warnings, tt.refusals)
			}
		})
	}
}

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

func TestAdmit(t *testing.T) {
	j, err := jobspec.Parse("web.nomad.hcl", []byte(staticPortJob), jobspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode     policy.Mode
		refused  bool
		warnings bool
	}{
		{policy.ModeOff, false, false},
		{policy.ModeWarn, false, true},
		{policy.ModeStrict, true, false},
	}
	for _, tt := range tests {
		ws, err := policy.Admit(tt.mode, policy.DefaultConfig(), j)
		if errors.Is(err, policy.ErrRefused) != tt.refused || (err != nil) != tt.refused {
			t.Errorf("%q: refused = %v (%v), want %v", tt.mode, err != nil, err, tt.refused)
		}
		if err != nil && (!strings.Contains(err.Error(), "web.nomad.hcl:6:") || !strings.Contains(err.Error(), "[dynamic-ports]") ||
			!strings.Contains(err.Error(), `policy enforce = "strict"`)) {
			t.Errorf("%q: refusal does not point at the static port: %v", tt.mode, err)
		}
		if (len(ws) > 0) != tt.warnings {
			t.Errorf("%q: warnings %v, want some: %v", tt.mode, ws, tt.warnings)
		}
		if tt.warnings && !strings.Contains(strings.Join(ws, "\n"), "dynamic-ports") {
			t.Errorf("%q: warnings miss dynamic-ports: %v", tt.mode, ws)
		}
	}
}
