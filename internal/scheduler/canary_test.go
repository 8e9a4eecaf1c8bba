package scheduler

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func canaryJob(version string, count, canary int, autoPromote, autoRevert bool) *job.Job {
	j := rollingJob(version, count, autoRevert)
	j.Groups[0].Update.Canary = canary
	j.Groups[0].Update.AutoPromote = autoPromote
	return j
}

// canaryStart runs version 0 (3 healthy allocations), registers version 1
// with canary = 1 and evaluates once: the canary is placed.
func canaryStart(t *testing.T, autoPromote, autoRevert bool) (*harness, *job.Allocation) {
	t.Helper()
	h := newHarness(t, node("a"), node("b"))
	h.register(canaryJob("1", 3, 1, autoPromote, autoRevert))
	if r := h.eval(); len(r.Place) != 3 || r.Deployment.TaskGroups["web"].DesiredCanaries != 0 {
		t.Fatalf("first version: placed %d, deployment %+v (a first version places no canaries)", len(r.Place), r.Deployment.TaskGroups["web"])
	}
	h.runAll(true)
	h.eval()
	h.register(canaryJob("2", 3, 1, autoPromote, autoRevert))
	r := h.eval()
	if len(r.Place) != 1 || r.Stops != 0 || !r.Place[0].Canary || r.Place[0].JobVersion != 1 {
		t.Fatalf("version 1: placed %d (canary %v), stopped %d; want one canary of version 1 and no stop", len(r.Place), len(r.Place) > 0 && r.Place[0].Canary, r.Stops)
	}
	st := r.Deployment.TaskGroups["web"]
	if st.DesiredCanaries != 1 || len(st.PlacedCanaries) != 1 || st.PlacedCanaries[0] != r.Place[0].ID || st.Promoted {
		t.Fatalf("deployment state %+v", st)
	}
	want := descNeedsPromotion
	if autoPromote {
		want = descPendingAutoPromo
	}
	if r.Deployment.StatusDescription != want {
		t.Fatalf("deployment description %q, want %q", r.Deployment.StatusDescription, want)
	}
	if n := len(h.live()); n != 4 {
		t.Fatalf("%d live allocations, want the 3 old ones and the canary", n)
	}
	return h, r.Place[0]
}

// TestCanaryDecisions covers what one evaluation decides once the canary
// has (or has not) reported its health.
func TestCanaryDecisions(t *testing.T) {
	type want struct {
		promoted       bool
		status         string
		place, stops   int
		canaryLive     bool
		canaryFlag     bool
		revert         bool
		oldLiveAtLeast int
	}
	cases := []struct {
		name        string
		autoPromote bool
		autoRevert  bool
		health      string // "", "healthy", "unhealthy", "failed"
		promote     *job.Promotion
		want        want
	}{
		{name: "no health yet waits", health: "",
			want: want{status: job.DeploymentRunning, canaryLive: true, canaryFlag: true, oldLiveAtLeast: 3}},
		{name: "healthy without promotion waits", health: "healthy",
			want: want{status: job.DeploymentRunning, canaryLive: true, canaryFlag: true, oldLiveAtLeast: 3}},
		{name: "promotion before health is ignored", health: "", promote: &job.Promotion{All: true},
			want: want{status: job.DeploymentRunning, canaryLive: true, canaryFlag: true, oldLiveAtLeast: 3}},
		{name: "promotion of another group is ignored", health: "healthy", promote: &job.Promotion{Groups: []string{"db"}},
			want: want{status: job.DeploymentRunning, canaryLive: true, canaryFlag: true, oldLiveAtLeast: 3}},
		// Promoted: the old allocation at the canary's index stops and one
		// more is replaced (max_parallel = 1).
		{name: "promote all", health: "healthy", promote: &job.Promotion{All: true},
			want: want{promoted: true, status: job.DeploymentRunning, place: 1, stops: 2, canaryLive: true, oldLiveAtLeast: 1}},
		{name: "promote the group", health: "healthy", promote: &job.Promotion{Groups: []string{"web"}},
			want: want{promoted: true, status: job.DeploymentRunning, place: 1, stops: 2, canaryLive: true, oldLiveAtLeast: 1}},
		{name: "auto_promote", autoPromote: true, health: "healthy",
			want: want{promoted: true, status: job.DeploymentRunning, place: 1, stops: 2, canaryLive: true, oldLiveAtLeast: 1}},
		{name: "auto_promote waits for health", autoPromote: true, health: "",
			want: want{status: job.DeploymentRunning, canaryLive: true, canaryFlag: true, oldLiveAtLeast: 3}},
		{name: "unhealthy canary fails the deployment and stops", health: "unhealthy",
			want: want{status: job.DeploymentFailed, stops: 1, canaryFlag: true, oldLiveAtLeast: 3}},
		{name: "failed canary with auto_revert reverts", autoRevert: true, health: "failed",
			want: want{status: job.DeploymentFailed, canaryFlag: true, revert: true, oldLiveAtLeast: 3}},
		{name: "unhealthy canary is not promoted", autoPromote: true, health: "unhealthy", promote: &job.Promotion{All: true},
			want: want{status: job.DeploymentFailed, stops: 1, canaryFlag: true, oldLiveAtLeast: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, canary := canaryStart(t, tc.autoPromote, tc.autoRevert)
			h.now = h.now.Add(time.Second)
			switch tc.health {
			case "healthy", "unhealthy":
				h.status[canary.ID] = &job.AllocStatus{ID: canary.ID, Node: canary.Node, ClientStatus: job.ClientRunning,
					DeploymentStatus: &job.AllocHealth{Healthy: tc.health == "healthy", Timestamp: h.now, Canary: true}}
			case "failed":
				h.setStatus(canary.ID, job.ClientFailed)
			}
			if tc.promote != nil {
				p := *tc.promote
				p.DeploymentID = h.deps[len(h.deps)-1].ID
				h.promote = []*job.Promotion{&p}
			}
			r := h.eval()
			d := h.deps[len(h.deps)-1]
			st := d.TaskGroups["web"]
			c := h.allocs[canary.ID]
			old := 0
			for _, a := range h.live() {
				if a.JobVersion == 0 {
					old++
				}
			}
			got := want{promoted: st.Promoted, status: d.Status, place: len(r.Place), stops: r.Stops,
				canaryLive: c.DesiredStatus == job.DesiredRun && !c.Terminal(h.status[c.ID]), canaryFlag: c.Canary,
				revert: r.RevertTo != nil, oldLiveAtLeast: tc.want.oldLiveAtLeast}
			if got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			if old < tc.want.oldLiveAtLeast {
				t.Fatalf("%d old allocations live, want at least %d", old, tc.want.oldLiveAtLeast)
			}
			for _, a := range r.Place {
				if a.Canary {
					t.Fatalf("placed another canary %s", a.Name)
				}
			}
		})
	}
}

// TestCanaryRolloutCompletes follows a canary deployment from placement
// through promotion to success: the canary counts toward the new version's
// count and the old allocations are all replaced, one at a time.
func TestCanaryRolloutCompletes(t *testing.T) {
	h, canary := canaryStart(t, false, false)
	h.runAll(true)
	h.promote = []*job.Promotion{{DeploymentID: h.deps[len(h.deps)-1].ID, All: true}}
	for range 5 {
		h.now = h.now.Add(time.Second)
		h.eval()
		h.runAll(true)
	}
	h.eval()
	d := h.deps[len(h.deps)-1]
	if d.Status != job.DeploymentSuccessful || !h.stable[1] || d.TaskGroups["web"].HealthyAllocs != 3 {
		t.Fatalf("deployment %+v state %+v", d, d.TaskGroups["web"])
	}
	live := h.live()
	if len(live) != 3 {
		t.Fatalf("%d live allocations, want 3", len(live))
	}
	found := false
	for _, a := range live {
		if a.JobVersion != 1 || a.Canary {
			t.Fatalf("allocation %s: version %d canary %v", a.Name, a.JobVersion, a.Canary)
		}
		found = found || a.ID == canary.ID
	}
	if !found {
		t.Fatal("the promoted canary was replaced instead of counted")
	}
}

// TestCanaryNewerVersionStopsCanaries: a new version while canaries wait
// cancels the deployment and stops its canaries.
func TestCanaryNewerVersionStopsCanaries(t *testing.T) {
	h, canary := canaryStart(t, false, false)
	h.runAll(true)
	h.register(canaryJob("3", 3, 1, false, false))
	r := h.eval()
	if r.Cancelled == nil || r.Cancelled.Status != job.DeploymentCancelled {
		t.Fatalf("older deployment not cancelled: %+v", r.Cancelled)
	}
	if c := h.allocs[canary.ID]; c.DesiredStatus != job.DesiredStop {
		t.Fatalf("canary of the cancelled deployment still desired %s", c.DesiredStatus)
	}
	if len(r.Place) != 1 || !r.Place[0].Canary || r.Place[0].JobVersion != 2 {
		t.Fatalf("placed %d, want one canary of version 2", len(r.Place))
	}
}

// TestCanaryProgressDeadlineWaitsForPromotion: healthy canaries waiting
// for an operator do not fail the deployment at its progress deadline.
func TestCanaryProgressDeadlineWaitsForPromotion(t *testing.T) {
	h, _ := canaryStart(t, false, false)
	h.runAll(true)
	h.now = h.now.Add(time.Hour)
	h.eval()
	if d := h.deps[len(h.deps)-1]; d.Status != job.DeploymentRunning {
		t.Fatalf("deployment %s (%s) while canaries wait for promotion", d.Status, d.StatusDescription)
	}
}

// TestPlanCountsCanaries: a dry run reports canaries apart from placements.
func TestPlanCountsCanaries(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(canaryJob("1", 2, 1, false, false))
	h.eval()
	h.runAll(true)
	h.eval()
	h.register(canaryJob("2", 2, 1, false, false))
	in := h.input(job.TriggerJobRegister)
	sum := summarize(in, Schedule(in))
	if g := sum.Groups["web"]; g.Canary != 1 || g.Place != 0 || g.Destructive != 0 || g.Ignore != 2 {
		t.Fatalf("plan %+v, want 1 canary and 2 ignored", g)
	}
}

// TestPlanCountsFailedPlacements: placements that find no node are still
// counted as placements, with the failure beside them, as Nomad's plan does.
func TestPlanCountsFailedPlacements(t *testing.T) {
	h := newHarness(t)
	h.register(canaryJob("1", 3, 0, false, false))
	in := h.input(job.TriggerJobRegister)
	sum := summarize(in, Schedule(in))
	if g := sum.Groups["web"]; g.Place != 3 {
		t.Fatalf("plan %+v failed %+v, want 3 placements that would fail", g, sum.Failed)
	}
	if sum.Failed["web"] == nil {
		t.Fatalf("plan without nodes reports no failure: %+v", sum.Failed)
	}
}
