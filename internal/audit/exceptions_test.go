package audit_test

import (
	"fmt"
	"testing"

	"github.com/orbit/orbit/internal/audit"
	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
)

// staticJob has one static port, 8443, and the meta entry given.
const staticJob = `job "j" {
  type = "batch"
  meta = { %q = %q }
  group "g" {
    network {
      port "web" { static = 8443 }
    }
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/true"
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// TestExceptionsReadAsPolicyDoes keeps audit's reading of exception meta
// the same as policy's: for each key and value, a job's static port and an
// instance's static port are both excepted, or neither.
func TestExceptionsReadAsPolicyDoes(t *testing.T) {
	tests := []struct {
		key, value string
		excepted   bool
	}{
		{"orbit-exception-dynamic-ports", "legacy: the appliance speaks 8443", true},
		{"orbit-exception-dynamic-ports", "external: vendor", true},
		{"orbit-exception-dynamic-ports", "Compliance : audited", true},
		{"orbit.exception.dynamic-ports", "legacy: dotted", true},
		{"orbit.policy.exception.dynamic-ports", "legacy: long form", true},
		{"ORBIT_POLICY_EXCEPTION_DYNAMIC_PORTS", "legacy: shouting", true},
		{"orbit_exception_dynamic_ports", "legacy: underscores", true},
		{"orbit-exception-dynamic-ports", "legacy", false},
		{"orbit-exception-dynamic-ports", "legacy:", false},
		{"orbit-exception-dynamic-ports", "lazy: reasons", false},
		{"orbit-exception-dynamic-port", "legacy: typo", false},
		{"orbit-exception-health-check", "legacy: other rule", false},
		{"exception-dynamic-ports", "legacy: no prefix", false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			src := fmt.Sprintf(staticJob, tt.key, tt.value)
			j, err := jobspec.Parse("j.nomad.hcl", []byte(src), jobspec.Options{})
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, src)
			}
			var fromPolicy *policy.Finding
			for _, f := range policy.Check(j, policy.DefaultConfig()) {
				if f.Rule == policy.RuleDynamicPorts {
					fromPolicy = &f
				}
			}
			if fromPolicy == nil {
				t.Fatal("policy reported no dynamic-ports finding")
			}
			e := entry("j", "j-1", "n1", port(8443), meta(tt.key, tt.value))
			fs := audit.Check(audit.Cluster{Entries: []audit.Entry{e}, ACLsEnabled: true}, policy.DefaultConfig())
			if len(fs) != 1 {
				t.Fatalf("audit findings %s", summary(fs))
			}
			policyExcepted := fromPolicy.Severity == policy.SeverityInfo
			auditExcepted := fs[0].Severity == report.Info
			if policyExcepted != tt.excepted || auditExcepted != tt.excepted {
				t.Errorf("excepted: policy %v, audit %v, want %v", policyExcepted, auditExcepted, tt.excepted)
			}
			if fs[0].Exception != fromPolicy.Exception {
				t.Errorf("exception reason: audit %q, policy %q", fs[0].Exception, fromPolicy.Exception)
			}
		})
	}
}
