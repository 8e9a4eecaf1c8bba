package nomad_test

import (
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// periodicJob is a batch job launched every second (cronexpr's seven
// fields: seconds first) whose task runs command.
func periodicJob(id string, prohibitOverlap bool, tz string, command string, args ...string) *napi.Job {
	j := napi.NewBatchJob(id, id, "global", 50)
	j.Datacenters = []string{"dc1"}
	j.Periodic = &napi.PeriodicConfig{Spec: new("* * * * * * *"), ProhibitOverlap: new(prohibitOverlap)}
	if tz != "" {
		j.Periodic.TimeZone = new(tz)
	}
	tg := napi.NewTaskGroup("g", 1)
	task := napi.NewTask("t", "raw_exec").SetConfig("command", command).SetConfig("args", args)
	task.Require(&napi.Resources{CPU: new(20), MemoryMB: new(16)})
	tg.AddTask(task)
	j.AddTaskGroup(tg)
	return j
}

// children lists the periodic children of parent.
func children(t *testing.T, c *napi.Client, parent string) []*napi.JobListStub {
	t.Helper()
	list, _, err := c.Jobs().PrefixList(parent + "/periodic-")
	if err != nil {
		t.Fatalf("list children of %q: %v", parent, err)
	}
	var out []*napi.JobListStub
	for _, j := range list {
		if j.ParentID == parent {
			out = append(out, j)
		}
	}
	return out
}

// TestPeriodicJobs registers periodic jobs through the real client: the
// parent is not placed and reports running, children named
// <parent>/periodic-<unix seconds> are launched on the cron schedule (in
// the job's time zone), prohibit_overlap holds launches back while a child
// runs, a forced launch starts one anyway, and the summary counts them.
func TestPeriodicJobs(t *testing.T) {
	_, c := jobsAgent(t)

	// The jobspec's periodic block, through /v1/jobs/parse.
	parsed, err := c.Jobs().ParseHCL(`job "nightly" {
  type = "batch"
  periodic {
    crons            = ["0 3 * * *", "30 4 * * 1-5"]
    prohibit_overlap = true
    time_zone        = "America/New_York"
  }
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`, true)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if p := parsed.Periodic; p == nil || !*p.Enabled || len(p.Specs) != 2 || p.Specs[1] != "30 4 * * 1-5" || *p.SpecType != "cron" ||
		!*p.ProhibitOverlap || *p.TimeZone != "America/New_York" {
		t.Fatalf("parsed periodic block: %+v", parsed.Periodic)
	}

	// A refused spec names the problem.
	bad := periodicJob("bad-cron", false, "", "/bin/true")
	bad.Periodic.Spec = new("every tuesday")
	if _, _, err := c.Jobs().Register(bad, nil); err == nil || !strings.Contains(err.Error(), "Invalid cron spec") {
		t.Fatalf("register with a bad cron: %v", err)
	}
	svc := periodicJob("svc-cron", false, "", "/bin/true")
	svc.Type = new("service")
	if _, _, err := c.Jobs().Register(svc, nil); err == nil || !strings.Contains(err.Error(), `Periodic can only be used with "batch" scheduler`) {
		t.Fatalf("register a periodic service job: %v", err)
	}

	// prohibit_overlap with a child that never ends: one child only.
	const id = "report"
	if _, _, err := c.Jobs().Register(periodicJob(id, true, "", "/bin/sleep", "3600"), nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	info, _, err := c.Jobs().Info(id, nil)
	if err != nil {
		t.Fatalf("info: %v", err)
	}
	if p := info.Periodic; p == nil || !*p.Enabled || *p.Spec != "* * * * * * *" || *p.SpecType != "cron" || !*p.ProhibitOverlap ||
		*p.TimeZone != "UTC" {
		t.Fatalf("periodic block: %+v", info.Periodic)
	}
	orbittest.Eventually(t, 30*time.Second, "periodic parent running", func() bool {
		j, _, err := c.Jobs().Info(id, nil)
		return err == nil && *j.Status == "running"
	})
	var first *napi.JobListStub
	orbittest.Eventually(t, 60*time.Second, "a child launched", func() bool {
		cs := children(t, c, id)
		if len(cs) > 0 {
			first = cs[0]
		}
		return first != nil
	})
	launch, ok := strings.CutPrefix(first.ID, id+"/periodic-")
	if !ok || len(launch) < 10 || first.Type != "batch" || first.Periodic {
		t.Fatalf("child: %+v", first)
	}
	waitRunning(t, c, first.ID, 1)
	child, _, err := c.Jobs().Info(first.ID, nil)
	if err != nil || child.ParentID == nil || *child.ParentID != id || child.Periodic != nil {
		t.Fatalf("child job: %+v %v", child, err)
	}
	// Launch times pass while the child runs: none launches.
	passed := time.Now().Add(3 * time.Second)
	for time.Now().Before(passed) {
		time.Sleep(200 * time.Millisecond)
	}
	if cs := children(t, c, id); len(cs) != 1 {
		t.Fatalf("prohibit_overlap: %d children while one runs, want 1", len(cs))
	}
	list, _, err := c.Jobs().PrefixList(id)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	for _, s := range list {
		if s.ID == id && (!s.Periodic || s.ParentID != "" || s.Status != "running") {
			t.Fatalf("parent stub: %+v", s)
		}
	}
	if allocs, _, err := c.Jobs().Allocations(id, true, nil); err != nil || len(allocs) != 0 {
		t.Fatalf("the parent itself must not be placed: %d allocations %v", len(allocs), err)
	}

	// A forced launch starts a child whatever prohibit_overlap says.
	evalID, wm, err := c.Jobs().PeriodicForce(id, nil)
	if err != nil || evalID == "" || wm.LastIndex == 0 {
		t.Fatalf("force: %q %+v %v", evalID, wm, err)
	}
	ev, _, err := c.Evaluations().Info(evalID, nil)
	if err != nil || ev.TriggeredBy != "periodic-job" || !strings.HasPrefix(ev.JobID, id+"/periodic-") {
		t.Fatalf("forced evaluation: %+v %v", ev, err)
	}
	waitRunning(t, c, ev.JobID, 1)
	orbittest.Eventually(t, 30*time.Second, "summary counting two running children", func() bool {
		s, _, err := c.Jobs().Summary(id, nil)
		if err != nil || s.Children == nil {
			t.Logf("summary: %+v %v", s, err)
			return false
		}
		return s.Children.Running == 2 && s.Children.Pending == 0 && s.Children.Dead == 0
	})
	if _, _, err := c.Jobs().Register(sleepJob("plain", 1), nil); err != nil {
		t.Fatalf("register plain: %v", err)
	}
	if _, _, err := c.Jobs().PeriodicForce("plain", nil); err == nil || !strings.Contains(err.Error(), "400") ||
		!strings.Contains(err.Error(), "can't force launch non-periodic job") {
		t.Fatalf("force of a non-periodic job: %v", err)
	}
	if _, _, err := c.Jobs().PeriodicForce("missing", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("force of a missing job: %v", err)
	}
	if _, _, err := c.Jobs().Deregister(id, false, nil); err != nil {
		t.Fatalf("stop parent: %v", err)
	}

	// Without prohibit_overlap, short children run one after another, in
	// the job's time zone.
	const tick = "ticker"
	if _, _, err := c.Jobs().Register(periodicJob(tick, false, "Europe/Berlin", "/bin/true"), nil); err != nil {
		t.Fatalf("register ticker: %v", err)
	}
	orbittest.Eventually(t, 90*time.Second, "two children of ticker complete", func() bool {
		dead := 0
		for _, s := range children(t, c, tick) {
			if s.Status == "dead" {
				dead++
			}
		}
		return dead >= 2
	})
	s, _, err := c.Jobs().Summary(tick, nil)
	if err != nil || s.Children == nil || s.Children.Dead < 2 {
		t.Fatalf("ticker summary: %+v %v", s, err)
	}
	if _, _, err := c.Jobs().Deregister(tick, false, nil); err != nil {
		t.Fatalf("stop ticker: %v", err)
	}
}
