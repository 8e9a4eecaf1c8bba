package nomad_test

import (
	"strings"
	"testing"
)

// TestJobIDsWithSlashes registers a job whose ID holds characters Nomad
// accepts ('/', '\', ':', a tab) and reads it back through every per-job
// path the client escapes.
func TestJobIDsWithSlashes(t *testing.T) {
	_, c := jobsAgent(t)
	for _, id := range []string{"job-id/with\\troublesome:characters", "a/../b\tc%2Fd"} {
		resp, _, err := c.Jobs().Register(sleepJob(id, 1), nil)
		if err != nil {
			t.Fatalf("register %q: %v", id, err)
		}
		if resp.EvalID == "" {
			t.Fatalf("register %q: no evaluation", id)
		}
		j, _, err := c.Jobs().Info(id, nil)
		if err != nil || *j.ID != id {
			t.Fatalf("info %q: %v %v", id, j, err)
		}
		running := waitRunning(t, c, id, 1)
		if running[0].JobID != id {
			t.Fatalf("allocation's JobID %q, want %q", running[0].JobID, id)
		}
		vs, _, _, err := c.Jobs().Versions(id, false, nil)
		if err != nil || len(vs) != 1 || *vs[0].ID != id {
			t.Fatalf("versions of %q: %d %v", id, len(vs), err)
		}
		sum, _, err := c.Jobs().Summary(id, nil)
		if err != nil || sum.JobID != id || sum.Summary["g"].Running != 1 {
			t.Fatalf("summary of %q: %+v %v", id, sum, err)
		}
		evals, _, err := c.Jobs().Evaluations(id, nil)
		if err != nil || len(evals) == 0 || evals[0].JobID != id {
			t.Fatalf("evaluations of %q: %v", id, err)
		}
		list, _, err := c.Jobs().PrefixList(id[:3])
		if err != nil || len(list) != 1 || list[0].ID != id {
			t.Fatalf("prefix list %q: %v %v", id[:3], list, err)
		}
	}
	// A job "a" must not see the versions or allocations of "a/../b..."
	// and stopping one leaves the other.
	if _, _, err := c.Jobs().Deregister("job-id/with\\troublesome:characters", true, nil); err != nil {
		t.Fatalf("deregister: %v", err)
	}
	if _, _, err := c.Jobs().Info("job-id/with\\troublesome:characters", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("purged job still answers: %v", err)
	}
	if _, _, err := c.Jobs().Info("a/../b\tc%2Fd", nil); err != nil {
		t.Fatalf("the other job is gone: %v", err)
	}

	// Nomad refuses a space.
	if _, _, err := c.Jobs().Register(sleepJob("with space", 1), nil); err == nil || !strings.Contains(err.Error(), "Job ID contains a space") {
		t.Fatalf("ID with a space: %v", err)
	}
}
