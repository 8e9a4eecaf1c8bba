package cli

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/orbit/orbit/internal/nomadwire"
)

func jobPath(id, ns, suffix string) string {
	return "/v1/job/" + url.PathEscape(id) + suffix + "?namespace=" + url.QueryEscape(ns)
}

func jobStatus(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job status")
	client := addressFlags(fs, e)
	ns := fs.String("namespace", "default", "the job's namespace (\"*\" lists every namespace)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	c := client()
	if len(pos) == 0 {
		return jobList(ctx, e, c, *ns)
	}
	id := pos[0]
	var j nomadwire.Job
	if _, err := c.do(ctx, "GET", jobPath(id, *ns, ""), nil, &j); err != nil {
		return fail(e, err)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\t= %s\nName\t= %s\nNamespace\t= %s\nType\t= %s\nPriority\t= %d\nDatacenters\t= %v\nVersion\t= %d\nStatus\t= %s\nSubmit Date\t= %s\n",
		j.ID, j.Name, j.Namespace, j.Type, j.Priority, j.Datacenters, j.Version, statusText(j), time.Unix(0, j.SubmitTime).Format(time.RFC3339))
	tw.Flush()
	var sum nomadwire.JobSummary
	if _, err := c.do(ctx, "GET", jobPath(id, *ns, "/summary"), nil, &sum); err == nil {
		fmt.Fprintln(e.Stdout, "\nSummary")
		tw = tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "Task Group\tQueued\tStarting\tRunning\tFailed\tComplete\tLost")
		groups := make([]string, 0, len(sum.Summary))
		for g := range sum.Summary {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			s := sum.Summary[g]
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", g, s.Queued, s.Starting, s.Running, s.Failed, s.Complete, s.Lost)
		}
		tw.Flush()
	}
	var d *nomadwire.Deployment
	if _, err := c.do(ctx, "GET", jobPath(id, *ns, "/deployment"), nil, &d); err == nil && d != nil {
		fmt.Fprintf(e.Stdout, "\nLatest Deployment\nID          = %s\nStatus      = %s\nDescription = %s\n", short(d.ID), d.Status, d.StatusDescription)
	}
	var allocs []nomadwire.Allocation
	if _, err := c.do(ctx, "GET", jobPath(id, *ns, "/allocations"), nil, &allocs); err != nil {
		return fail(e, err)
	}
	fmt.Fprintln(e.Stdout, "\nAllocations")
	printAllocs(e, allocs, now)
	return 0
}

func statusText(j nomadwire.Job) string {
	if j.Stop {
		return j.Status + " (stopped)"
	}
	return j.Status
}

func printAllocs(e *Env, allocs []nomadwire.Allocation, now time.Time) {
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNode\tTask Group\tVersion\tDesired\tStatus\tCreated\tModified")
	for _, a := range allocs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", short(a.ID), a.NodeName, a.TaskGroup, a.JobVersion,
			a.DesiredStatus, a.ClientStatus, ago(a.CreateTime, now), ago(a.ModifyTime, now))
	}
	tw.Flush()
}

func jobList(ctx context.Context, e *Env, c *apiClient, ns string) int {
	var jobs []nomadwire.JobListStub
	if _, err := c.do(ctx, "GET", "/v1/jobs?namespace="+url.QueryEscape(ns), nil, &jobs); err != nil {
		return fail(e, err)
	}
	if len(jobs) == 0 {
		fmt.Fprintln(e.Stdout, "No running jobs")
		return 0
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tType\tPriority\tStatus\tSubmit Date")
	for _, j := range jobs {
		st := j.Status
		if j.Stop {
			st += " (stopped)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", j.ID, j.Type, j.Priority, st, time.Unix(0, j.SubmitTime).Format(time.RFC3339))
	}
	tw.Flush()
	return 0
}

func jobStop(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job stop")
	client := addressFlags(fs, e)
	ns := fs.String("namespace", "default", "the job's namespace")
	purge := fs.Bool("purge", false, "remove the job and its versions instead of keeping it stopped")
	detach := fs.Bool("detach", false, "return without following the evaluation")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit job stop [-purge] [-detach] ID")
		return 2
	}
	c := client()
	var resp nomadwire.RegisterResponse
	if _, err := c.do(ctx, "DELETE", jobPath(pos[0], *ns, "")+"&purge="+strconv.FormatBool(*purge), nil, &resp); err != nil {
		return fail(e, err)
	}
	if *detach {
		fmt.Fprintln(e.Stdout, resp.EvalID)
		return 0
	}
	_, code := monitorEval(ctx, e, c, resp.EvalID, pos[0])
	return code
}

func jobHistory(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job history")
	client := addressFlags(fs, e)
	ns := fs.String("namespace", "default", "the job's namespace")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit job history ID")
		return 2
	}
	var out nomadwire.JobVersions
	if _, err := client().do(ctx, "GET", jobPath(pos[0], *ns, "/versions")+"&diffs=true", nil, &out); err != nil {
		return fail(e, err)
	}
	for i, v := range out.Versions {
		fmt.Fprintf(e.Stdout, "Version     = %d\nStable      = %v\nSubmit Date = %s\n", v.Version, v.Stable, time.Unix(0, v.SubmitTime).Format(time.RFC3339))
		if i < len(out.Diffs) && out.Diffs[i] != nil && len(out.Diffs[i].Fields) > 0 {
			fmt.Fprintln(e.Stdout, "Diff        =")
			for _, f := range out.Diffs[i].Fields {
				fmt.Fprintf(e.Stdout, "  ~ %s: %q => %q\n", f.Name, f.Old, f.New)
			}
		}
		fmt.Fprintln(e.Stdout)
	}
	return 0
}

func jobRevert(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job revert")
	client := addressFlags(fs, e)
	ns := fs.String("namespace", "default", "the job's namespace")
	detach := fs.Bool("detach", false, "return without following the evaluation")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 2 {
		fmt.Fprintln(e.Stderr, "usage: orbit job revert ID VERSION")
		return 2
	}
	v, err := strconv.ParseUint(pos[1], 10, 64)
	if err != nil {
		return fail(e, fmt.Errorf("version %q is not a number", pos[1]))
	}
	c := client()
	var resp nomadwire.RegisterResponse
	body := map[string]any{"JobID": pos[0], "JobVersion": v}
	if _, err := c.do(ctx, "PUT", jobPath(pos[0], *ns, "/revert"), body, &resp); err != nil {
		return fail(e, err)
	}
	if *detach {
		fmt.Fprintln(e.Stdout, resp.EvalID)
		return 0
	}
	return monitor(ctx, e, c, resp.EvalID, *ns, pos[0])
}
