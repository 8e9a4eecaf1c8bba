package periodic

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func TestDecide(t *testing.T) {
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	hourly := &job.Periodic{Enabled: true, Spec: "0 * * * *", SpecType: "cron"}
	noOverlap := &job.Periodic{Enabled: true, Spec: "0 * * * *", SpecType: "cron", ProhibitOverlap: true}
	disabled := &job.Periodic{Enabled: false, Spec: "* * * * *", SpecType: "cron"}
	crons := &job.Periodic{Enabled: true, Specs: []string{"30 9 * * *", "0 8 * * *"}, SpecType: "cron"}
	// 02:00 in New York is 07:00 UTC in winter.
	nyc := &job.Periodic{Enabled: true, Spec: "0 2 * * *", SpecType: "cron", TimeZone: "America/New_York"}
	// Seven fields: seconds first (cronexpr reads six as minutes to years).
	seconds := &job.Periodic{Enabled: true, Spec: "*/5 * * * * * *", SpecType: "cron"}
	bad := &job.Periodic{Enabled: true, Spec: "0 2 * * *", SpecType: "cron", TimeZone: "Mars/Olympus"}

	cases := []struct {
		name   string
		now    time.Time
		parent Parent
		want   *Launch // nil: no launch
		wake   time.Time
	}{
		{name: "not due yet", now: at("2026-12-03T10:30:00Z"),
			parent: Parent{Periodic: hourly, Since: at("2026-12-03T10:10:00Z")}, wake: at("2026-12-03T11:00:00Z")},
		{name: "due exactly now", now: at("2026-12-03T11:00:00Z"),
			parent: Parent{Periodic: hourly, Since: at("2026-12-03T10:10:00Z")},
			want:   &Launch{At: at("2026-12-03T11:00:00Z")}, wake: at("2026-12-03T12:00:00Z")},
		{name: "missed launches: one launch at the latest", now: at("2026-12-03T14:20:00Z"),
			parent: Parent{Periodic: hourly, Since: at("2026-12-03T10:10:00Z")},
			want:   &Launch{At: at("2026-12-03T14:00:00Z")}, wake: at("2026-12-03T15:00:00Z")},
		{name: "launched already: the next one", now: at("2026-12-03T11:00:30Z"),
			parent: Parent{Periodic: hourly, Since: at("2026-12-03T11:00:00Z")}, wake: at("2026-12-03T12:00:00Z")},
		{name: "overlap allowed while running", now: at("2026-12-03T11:00:01Z"),
			parent: Parent{Periodic: hourly, Since: at("2026-12-03T10:00:00Z"), Running: true},
			want:   &Launch{At: at("2026-12-03T11:00:00Z")}, wake: at("2026-12-03T12:00:00Z")},
		{name: "prohibit_overlap skips while running", now: at("2026-12-03T11:00:01Z"),
			parent: Parent{Periodic: noOverlap, Since: at("2026-12-03T10:00:00Z"), Running: true},
			want:   &Launch{At: at("2026-12-03T11:00:00Z"), Skip: true}, wake: at("2026-12-03T12:00:00Z")},
		{name: "prohibit_overlap launches when none runs", now: at("2026-12-03T11:00:01Z"),
			parent: Parent{Periodic: noOverlap, Since: at("2026-12-03T10:00:00Z")},
			want:   &Launch{At: at("2026-12-03T11:00:00Z")}, wake: at("2026-12-03T12:00:00Z")},
		{name: "disabled", now: at("2026-12-03T11:00:01Z"),
			parent: Parent{Periodic: disabled, Since: at("2026-12-03T10:00:00Z")}},
		{name: "crons: the earliest of the list", now: at("2026-12-03T07:00:00Z"),
			parent: Parent{Periodic: crons, Since: at("2026-12-03T06:00:00Z")}, wake: at("2026-12-03T08:00:00Z")},
		{name: "crons: the second spec due", now: at("2026-12-03T09:31:00Z"),
			parent: Parent{Periodic: crons, Since: at("2026-12-03T08:00:00Z")},
			want:   &Launch{At: at("2026-12-03T09:30:00Z")}, wake: at("2026-12-04T08:00:00Z")},
		{name: "time zone", now: at("2026-12-03T03:00:00Z"),
			parent: Parent{Periodic: nyc, Since: at("2026-12-03T00:00:00Z")}, wake: at("2026-12-03T07:00:00Z")},
		{name: "time zone due", now: at("2026-12-03T07:00:00Z"),
			parent: Parent{Periodic: nyc, Since: at("2026-12-03T00:00:00Z")},
			want:   &Launch{At: at("2026-12-03T07:00:00Z")}, wake: at("2026-12-04T07:00:00Z")},
		{name: "seconds field", now: at("2026-12-03T10:00:07Z"),
			parent: Parent{Periodic: seconds, Since: at("2026-12-03T10:00:00Z")},
			want:   &Launch{At: at("2026-12-03T10:00:05Z")}, wake: at("2026-12-03T10:00:10Z")},
		{name: "bad time zone", now: at("2026-12-03T07:00:00Z"),
			parent: Parent{Periodic: bad, Since: at("2026-12-03T00:00:00Z")}, want: &Launch{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.parent.Namespace, c.parent.ID = "default", "report"
			got, wake := Decide(c.now, []Parent{c.parent})
			if c.want == nil {
				if len(got) != 0 {
					t.Fatalf("launches = %+v, want none", got)
				}
			} else {
				if len(got) != 1 {
					t.Fatalf("launches = %+v, want one", got)
				}
				g := got[0]
				if c.parent.Periodic == bad {
					if g.Err == nil {
						t.Fatalf("launch = %+v, want an error", g)
					}
					return
				}
				if g.Err != nil || !g.At.Equal(c.want.At) || g.Skip != c.want.Skip || g.ID != "report" || g.Namespace != "default" {
					t.Fatalf("launch = %+v, want %+v", g, c.want)
				}
			}
			if !wake.Equal(c.wake) {
				t.Fatalf("wake = %v, want %v", wake, c.wake)
			}
		})
	}
}

func TestPeriodicChild(t *testing.T) {
	p := &job.Job{ID: "report", Name: "report", Type: job.TypeBatch, Namespace: "default",
		Periodic: &job.Periodic{Enabled: true, Spec: "@hourly", SpecType: "cron"},
		Groups:   []*job.Group{{Name: "g", Count: 1, Tasks: []*job.Task{{Name: "t", Driver: "raw_exec"}}}}}
	launch := time.Unix(1796000000, 0)
	c, err := p.PeriodicChild(launch)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "report/periodic-1796000000" || c.Name != c.ID || c.ParentID != "report" || c.Periodic != nil {
		t.Fatalf("child = %q name %q parent %q periodic %v", c.ID, c.Name, c.ParentID, c.Periodic)
	}
	if p.Periodic == nil || p.ID != "report" || len(c.Groups) != 1 || c.Groups[0] == p.Groups[0] {
		t.Fatal("the child must be a deep copy leaving the parent as it was")
	}
	if got, ok := job.PeriodicLaunchTime("report", c.ID); !ok || !got.Equal(launch) {
		t.Fatalf("launch time = %v %v", got, ok)
	}
	if _, err := c.PeriodicChild(launch); err == nil {
		t.Fatal("a child of a non-periodic job must be refused")
	}
}
