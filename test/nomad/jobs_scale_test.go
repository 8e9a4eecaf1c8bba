package nomad_test

import (
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// TestScaleEvaluateSubmission scales a group through /v1/job/:id/scale
// (count and a message-only event), reads the scale status with its events,
// re-registers with PreserveCounts, force-evaluates, and reads the
// submission a registration carried.
func TestScaleEvaluateSubmission(t *testing.T) {
	_, c := jobsAgent(t)
	const id = "scaled/job"
	src := "job \"scaled/job\" {}\n"
	resp, _, err := c.Jobs().RegisterOpts(sleepJob(id, 1), &napi.RegisterOptions{
		Submission: &napi.JobSubmission{Source: src, Format: "hcl2", VariableFlags: map[string]string{"a": "1"}, Variables: "b = 2"}}, nil)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	waitRunning(t, c, id, 1)
	waitDeployed(t, c, id)

	sub, _, err := c.Jobs().Submission(id, 0, nil)
	if err != nil || sub.Source != src || sub.Format != "hcl2" || sub.VariableFlags["a"] != "1" || sub.Variables != "b = 2" {
		t.Fatalf("submission: %+v %v", sub, err)
	}
	if _, _, err := c.Jobs().Submission(id, 9, nil); err == nil || !strings.Contains(err.Error(), "job source not found") {
		t.Fatalf("submission of a missing version: %v", err)
	}

	scaled, _, err := c.Jobs().Scale(id, "g", new(3), "up to three", false, map[string]any{"by": "test"}, nil)
	if err != nil || scaled.EvalID == "" {
		t.Fatalf("scale: %+v %v", scaled, err)
	}
	waitRunning(t, c, id, 3)
	waitDeployed(t, c, id)
	if _, _, err := c.Jobs().Scale(id, "g", nil, "autoscaler could not reach its source", true, nil, nil); err != nil {
		t.Fatalf("scale error event: %v", err)
	}
	st, _, err := c.Jobs().ScaleStatus(id, nil)
	if err != nil {
		t.Fatalf("scale status: %v", err)
	}
	g := st.TaskGroups["g"]
	t.Logf("scale status: %+v", g)
	if st.JobID != id || st.JobStopped || g.Desired != 3 || g.Placed != 3 || g.Running != 3 || len(g.Events) != 2 {
		t.Fatalf("scale status: %+v group %+v", st, g)
	}
	newest, first := g.Events[0], g.Events[1]
	if !newest.Error || newest.Count != nil || newest.EvalID != nil || newest.PreviousCount != 3 {
		t.Fatalf("error event: %+v", newest)
	}
	if first.Count == nil || *first.Count != 3 || first.PreviousCount != 1 || first.Message != "up to three" ||
		first.EvalID == nil || *first.EvalID != scaled.EvalID || first.Meta["by"] != "test" || first.Time == 0 {
		t.Fatalf("scale event: %+v", first)
	}
	for _, bad := range []struct {
		group string
		count *int
		err   bool
		want  string
	}{
		{"nope", new(2), false, `task group "nope" specified for scaling does not exist in job`},
		{"", new(2), false, "missing task group name"},
		{"g", new(-1), false, "count can't be negative"},
		{"g", new(2), true, "should not contain count if error is true"},
	} {
		if _, _, err := c.Jobs().Scale(id, bad.group, bad.count, "", bad.err, nil, nil); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("scale %+v: %v, want %q", bad, err, bad.want)
		}
	}
	if _, _, err := c.Jobs().Scale("missing", "g", new(2), "", false, nil, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("scale of a missing job: %v", err)
	}

	// PreserveCounts keeps the scaled count over the submitted one.
	j := sleepJob(id, 1)
	j.Meta = map[string]string{"rev": "2"}
	if _, _, err := c.Jobs().RegisterOpts(j, &napi.RegisterOptions{PreserveCounts: true}, nil); err != nil {
		t.Fatalf("register with PreserveCounts: %v", err)
	}
	info, _, err := c.Jobs().Info(id, nil)
	if err != nil || *info.TaskGroups[0].Count != 3 || info.Meta["rev"] != "2" {
		t.Fatalf("after PreserveCounts: count %d meta %v %v", *info.TaskGroups[0].Count, info.Meta, err)
	}

	evalID, _, err := c.Jobs().EvaluateWithOpts(id, napi.EvalOptions{ForceReschedule: true}, nil)
	if err != nil || evalID == "" {
		t.Fatalf("evaluate: %q %v", evalID, err)
	}
	ev, _, err := c.Evaluations().Info(evalID, nil)
	if err != nil || ev.JobID != id || ev.TriggeredBy != "job-register" {
		t.Fatalf("forced evaluation: %+v %v", ev, err)
	}
	if _, _, err := c.Jobs().ForceEvaluate("missing", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("evaluate of a missing job: %v", err)
	}
	_ = resp

	// The list and the count agree when taken at the same index (the
	// scheduler may add evaluations in between).
	orbittest.Eventually(t, 30*time.Second, "evaluation count matching the list", func() bool {
		all, qm, err := c.Evaluations().List(nil)
		if err != nil {
			t.Fatalf("evaluations: %v", err)
		}
		cnt, cqm, err := c.Evaluations().Count(nil)
		if err != nil {
			t.Fatalf("evaluation count: %v", err)
		}
		t.Logf("count %d at %d, list %d at %d", cnt.Count, cqm.LastIndex, len(all), qm.LastIndex)
		return cqm.LastIndex == qm.LastIndex && cnt.Count == len(all) && cnt.Count > 0
	})
}
