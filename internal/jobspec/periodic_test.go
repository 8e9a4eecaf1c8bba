package jobspec

import (
	"strings"
	"testing"
)

func TestParsePeriodic(t *testing.T) {
	const body = `
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`
	cases := []struct {
		name, periodic, typ string
		want                string // an error's text; "" parses
		check               func(t *testing.T, spec string, specs []string, overlap, enabled bool, tz string)
	}{
		{name: "cron", typ: "batch", periodic: `cron = "*/15 * * * *"`,
			check: func(t *testing.T, spec string, specs []string, overlap, enabled bool, tz string) {
				if spec != "*/15 * * * *" || len(specs) != 0 || overlap || !enabled || tz != "" {
					t.Fatalf("got %q %v %v %v %q", spec, specs, overlap, enabled, tz)
				}
			}},
		{name: "crons and options", typ: "batch",
			periodic: "crons = [\"0 3 * * *\", \"@hourly\"]\n    prohibit_overlap = true\n    time_zone = \"Europe/Paris\"\n    enabled = false",
			check: func(t *testing.T, spec string, specs []string, overlap, enabled bool, tz string) {
				if spec != "" || len(specs) != 2 || specs[1] != "@hourly" || !overlap || enabled || tz != "Europe/Paris" {
					t.Fatalf("got %q %v %v %v %q", spec, specs, overlap, enabled, tz)
				}
			}},
		{name: "bad cron", typ: "batch", periodic: `cron = "sometimes"`, want: `test.nomad.hcl:3:3: Invalid cron spec "sometimes"`},
		{name: "bad time zone", typ: "batch", periodic: "cron = \"@daily\"\n    time_zone = \"Mars/Olympus\"", want: `Invalid time zone "Mars/Olympus"`},
		{name: "not batch", typ: "service", periodic: `cron = "@daily"`, want: `Periodic can only be used with "batch" scheduler`},
		{name: "both", typ: "batch", periodic: "cron = \"@daily\"\n    crons = [\"@hourly\"]", want: "Only cron or crons may be used"},
		{name: "unknown attribute", typ: "batch", periodic: `every = "day"`, want: `every`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "job \"j\" {\n  type = \"" + c.typ + "\"\n  periodic {\n    " + c.periodic + "\n  }" + body
			j, err := Parse("test.nomad.hcl", []byte(src), Options{})
			if err == nil {
				j.Canonicalize()
				err = j.Validate()
			}
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error = %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := j.Periodic
			if p == nil || p.SpecType != "cron" {
				t.Fatalf("periodic = %+v", p)
			}
			c.check(t, p.Spec, p.Specs, p.ProhibitOverlap, p.Enabled, p.TimeZone)
		})
	}
}
