package cli

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/orbit/orbit/internal/nomadwire"
)

func jobRun(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job run")
	client := addressFlags(fs, e)
	detach := fs.Bool("detach", false, "return once the job is registered, without following the evaluation and deployment")
	vars := varFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit job run [-detach] [-var name=value] [-var-file FILE] JOBFILE")
		return 2
	}
	opts, err := vars()
	if err != nil {
		return fail(e, err)
	}
	j, err := loadJob(e, pos[0], opts)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 1
	}
	c := client()
	var resp nomadwire.RegisterResponse
	if _, err := c.do(ctx, "PUT", "/v1/jobs?namespace="+url.QueryEscape(j.Namespace), &nomadwire.RegisterRequest{Job: nomadwire.FromJob(j)}, &resp); err != nil {
		return fail(e, err)
	}
	if resp.Warnings != "" {
		fmt.Fprintf(e.Stdout, "Job Warnings:\n%s\n\n", indent(resp.Warnings))
	}
	if *detach {
		fmt.Fprintf(e.Stdout, "Job registration successful\nEvaluation ID: %s\n", resp.EvalID)
		return 0
	}
	return monitor(ctx, e, c, resp.EvalID, j.Namespace, j.ID)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}

// monitor follows an evaluation to its end, then the deployment it
// started until it succeeds or fails. It returns 0 on success, 1 when the
// deployment failed, 2 when allocations could not be placed.
func monitor(ctx context.Context, e *Env, c *apiClient, evalID, ns, jobID string) int {
	ev, code := monitorEval(ctx, e, c, evalID, jobID)
	if ev == nil {
		return code
	}
	dep := ev.DeploymentID
	if dep == "" {
		var d *nomadwire.Deployment
		var j nomadwire.Job
		if _, err := c.do(ctx, "GET", "/v1/job/"+url.PathEscape(jobID)+"?namespace="+url.QueryEscape(ns), nil, &j); err == nil {
			if _, err := c.do(ctx, "GET", "/v1/job/"+url.PathEscape(jobID)+"/deployment?namespace="+url.QueryEscape(ns), nil, &d); err == nil &&
				d != nil && d.JobVersion == j.Version {
				dep = d.ID
			}
		}
	}
	if dep != "" {
		if dc := watchDeployment(ctx, e, c, dep); dc != 0 {
			return dc
		}
	}
	return code
}

// monitorEval follows an evaluation until the scheduler is done with it
// and shows what it placed and what it could not. It returns the finished
// evaluation, nil when it could not be read or did not complete, and the
// exit status so far: 0, 1 on an API error, 2 when it did not complete or
// left allocations unplaced. A stop is followed this far only, as `nomad
// job stop` does: the deployment the stop cancels is not its outcome.
func monitorEval(ctx context.Context, e *Env, c *apiClient, evalID, jobID string) (*nomadwire.Evaluation, int) {
	fmt.Fprintf(e.Stdout, "==> %s: Monitoring evaluation %q\n", time.Now().Format(time.DateTime), short(evalID))
	var ev nomadwire.Evaluation
	if err := follow(ctx, c, "/v1/evaluation/"+evalID, &ev, func() bool {
		return ev.Status != "pending" && ev.Status != "blocked"
	}); err != nil {
		return nil, fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "    Evaluation triggered by job %q\n", jobID)
	var allocs []nomadwire.Allocation
	if _, err := c.do(ctx, "GET", "/v1/evaluation/"+evalID+"/allocations", nil, &allocs); err == nil {
		sort.Slice(allocs, func(i, k int) bool { return allocs[i].Name < allocs[k].Name })
		for _, a := range allocs {
			if a.EvalID == evalID {
				fmt.Fprintf(e.Stdout, "    Allocation %q created: node %q, group %q\n", short(a.ID), a.NodeName, a.TaskGroup)
			}
		}
	}
	fmt.Fprintf(e.Stdout, "    Evaluation status changed: %q\n", ev.Status)
	failed := printFailures(e.Stdout, ev)
	fmt.Fprintf(e.Stdout, "==> %s: Evaluation %q finished with status %q\n", time.Now().Format(time.DateTime), short(evalID), ev.Status)
	if ev.Status != "complete" {
		return nil, 2
	}
	if failed {
		return &ev, 2
	}
	return &ev, 0
}

// follow polls path with blocking queries until done reports true.
func follow(ctx context.Context, c *apiClient, path string, out any, done func() bool) error {
	index := "0"
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	for {
		h, err := c.do(ctx, "GET", path+sep+"index="+index+"&wait=5s", nil, out)
		if err != nil {
			return err
		}
		if done() {
			return nil
		}
		if i := h.Get("X-Nomad-Index"); i != "" {
			index = i
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// printFailures explains the groups an evaluation could not place.
func printFailures(w io.Writer, ev nomadwire.Evaluation) bool {
	groups := make([]string, 0, len(ev.FailedTGAllocs))
	for g := range ev.FailedTGAllocs {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		m := ev.FailedTGAllocs[g]
		fmt.Fprintf(w, "    Task Group %q (failed to place %d allocation(s)):\n", g, m.CoalescedFailures+1)
		for reason, n := range m.ConstraintFiltered {
			fmt.Fprintf(w, "      * Constraint %q: %d nodes excluded by filter\n", reason, n)
		}
		for dim, n := range m.DimensionExhausted {
			fmt.Fprintf(w, "      * Resources exhausted on %d nodes\n      * Dimension %q exhausted on %d nodes\n", m.NodesExhausted, dim, n)
		}
		if m.NodesEvaluated == 0 {
			fmt.Fprintln(w, "      * No nodes were eligible for evaluation")
		}
	}
	return len(groups) > 0
}

// watchDeployment shows a deployment's progress until it ends: redrawn
// in place on a terminal, a new block per change otherwise.
func watchDeployment(ctx context.Context, e *Env, c *apiClient, id string) int {
	fmt.Fprintf(e.Stdout, "==> %s: Monitoring deployment %q\n", time.Now().Format(time.DateTime), short(id))
	tty := false
	if f, ok := e.Stdout.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd())
	}
	var d nomadwire.Deployment
	last, lines := "", 0
	err := follow(ctx, c, "/v1/deployment/"+id, &d, func() bool {
		text := renderDeployment(&d)
		if text != last {
			if tty && lines > 0 {
				fmt.Fprintf(e.Stdout, "\x1b[%dA\x1b[J", lines)
			}
			fmt.Fprint(e.Stdout, text)
			last, lines = text, strings.Count(text, "\n")
		}
		return d.Status != "running" && d.Status != "paused" || awaitingPromotion(&d)
	})
	if err != nil {
		return fail(e, err)
	}
	if awaitingPromotion(&d) {
		fmt.Fprintf(e.Stdout, "\n==> Canaries are healthy; promote them with: orbit deployment promote %s\n", d.ID)
		return 0
	}
	if d.Status != "successful" {
		return 1
	}
	return 0
}

func renderDeployment(d *nomadwire.Deployment) string {
	var b strings.Builder
	mark := map[string]string{"successful": "✓", "failed": "!", "cancelled": "!"}[d.Status]
	if mark == "" {
		mark = "⠿"
	}
	fmt.Fprintf(&b, "  %s Deployment %q %s\n", mark, short(d.ID), d.Status)
	fmt.Fprintf(&b, "    %s\n\n", d.StatusDescription)
	b.WriteString(renderGroups(d, "    "))
	return b.String()
}
