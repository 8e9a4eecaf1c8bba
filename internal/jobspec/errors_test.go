package jobspec

import (
	"errors"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestParseErrors(t *testing.T) {
	const task = `task "t" {
      driver = "raw_exec"
    }`
	tests := []struct {
		name string
		src  string
		want string // "line:col: message fragment"
	}{
		{"unclosed block", "job \"x\" {\n  group \"g\" {\n", "2:13: Unclosed configuration block"},
		{"missing equals", "job \"x\" {\n  type \"service\"\n}\n", "2:17: Invalid block definition"},
		{"unterminated string", "job \"x\" {\n  type = \"service\n}\n", "2:"},
		{"unknown top-level block", "resource \"x\" {}\n", `1:1: unsupported block "resource"`},
		{"no job", "variable \"a\" {\n  default = 1\n}\n", "1:1: no job block"},
		{"unknown group block", "job \"x\" {\n  group \"g\" {\n    foo {}\n    " + task + "\n  }\n}\n", `3:5: unsupported block "foo" in group "g"`},
		{"unknown task attribute", "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      colour = \"red\"\n    }\n  }\n}\n", `5:7: unsupported attribute "colour" in task "t"`},
		{"artifact", "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      artifact {\n        source = \"https://x\"\n      }\n    }\n  }\n}\n", `5:7: unsupported block "artifact": orbit does not download artifacts`},
		{"vault", "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      vault {}\n    }\n  }\n}\n", `5:7: unsupported block "vault"`},
		{"wrong type", "job \"x\" {\n  group \"g\" {\n    count = \"many\"\n    " + task + "\n  }\n}\n", "3:13: count must be a whole number"},
		{"bad duration", "job \"x\" {\n  group \"g\" {\n    " + task + "\n    service {\n      check {\n        type = \"tcp\"\n        interval = \"often\"\n      }\n    }\n  }\n}\n", `9:20: interval must be a duration`},
		{"undefined var", "job \"x\" {\n  region = var.nope\n  group \"g\" {\n    " + task + "\n  }\n}\n", "2:15: Unsupported attribute"},
		{"missing label", "job {\n}\n", `1:1: job block needs one label`},
		{"duplicate resources", "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources {}\n      resources {}\n    }\n  }\n}\n", "6:7: duplicate resources block"},
		{"attribute as block", "job \"x\" {\n  group \"g\" {\n    count {}\n    " + task + "\n  }\n}\n", `3:5: unsupported block "count" in group "g": write it as an attribute`},
		{"bad job type", "job \"x\" {\n  type = \"cron\"\n  group \"g\" {\n    " + task + "\n  }\n}\n", `2:3: job type "cron"`},
		{"unknown port label", "job \"x\" {\n  group \"g\" {\n    service {\n      port = \"http\"\n    }\n    " + task + "\n  }\n}\n", `4:7: service port "http" is not a port label`},
		{"active_passive ttl too short", "job \"x\" {\n  group \"g\" {\n    active_passive {\n      ttl = \"1s\"\n    }\n    " + task + "\n  }\n}\n", `4:13: active_passive ttl 1s must be between 10s and 24h0m0s`},
		{"active_passive lock with a leading slash", "job \"x\" {\n  group \"g\" {\n    active_passive {\n      lock = \"/db\"\n    }\n    " + task + "\n  }\n}\n", `4:14: active_passive lock "/db" must not begin or end with /`},
		{"two active_passive blocks", "job \"x\" {\n  group \"g\" {\n    active_passive {}\n    active_passive {}\n    " + task + "\n  }\n}\n", `4:5: duplicate active_passive block`},
		{"anomaly_gate not a bool", "job \"x\" {\n  update {\n    anomaly_gate = \"yes\"\n  }\n  group \"g\" {\n    " + task + "\n  }\n}\n", `3:20: anomaly_gate must be true or false`},
		{"anomaly_gate as a block", "job \"x\" {\n  update {\n    anomaly_gate {}\n  }\n  group \"g\" {\n    " + task + "\n  }\n}\n", `3:5: unsupported block "anomaly_gate"`},
		{"no driver", "job \"x\" {\n  group \"g\" {\n    task \"t\" {}\n  }\n}\n", `3:5: task "t" has no driver`},
		{"task network", "job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources {\n        network {}\n      }\n    }\n  }\n}\n", `6:9: unsupported block "network": task-level networks are gone`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.nomad.hcl", []byte(tt.src), Options{})
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			var list job.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not a job.ErrorList", err)
			}
			want := "bad.nomad.hcl:" + tt.want
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, want)
			}
			for _, e := range list {
				if e.Pos.File == "" || !e.Pos.IsValid() {
					t.Errorf("error without position: %v", e)
				}
			}
		})
	}
}
