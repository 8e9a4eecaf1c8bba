package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/orbit/orbit/internal/nomadwire"
)

// cmdAlloc inspects allocations and prints their tasks' logs.
func cmdAlloc(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "alloc", args, map[string]func(context.Context, *Env, []string) int{
		"status": allocStatus, "logs": allocLogs,
	})
}

// findAlloc resolves a full allocation ID or a unique prefix.
func findAlloc(ctx context.Context, c *apiClient, id string) (*nomadwire.Allocation, error) {
	var list []nomadwire.Allocation
	if _, err := c.do(ctx, "GET", "/v1/allocations?namespace=*&prefix="+url.QueryEscape(id), nil, &list); err != nil {
		return nil, err
	}
	switch {
	case len(list) == 0:
		return nil, fmt.Errorf("no allocation with prefix %q", id)
	case len(list) > 1 && list[0].ID != id:
		return nil, fmt.Errorf("prefix %q matches %d allocations; give more characters", id, len(list))
	}
	var a nomadwire.Allocation
	if _, err := c.do(ctx, "GET", "/v1/allocation/"+list[0].ID, nil, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

func allocStatus(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "alloc status")
	client := addressFlags(fs, e)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit alloc status ID")
		return 2
	}
	a, err := findAlloc(ctx, client(), pos[0])
	if err != nil {
		return fail(e, err)
	}
	now := time.Now()
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\t= %s\nEvaluation ID\t= %s\nName\t= %s\nNode Name\t= %s\nJob ID\t= %s\nJob Version\t= %d\n",
		a.ID, short(a.EvalID), a.Name, a.NodeName, a.JobID, a.JobVersion)
	fmt.Fprintf(tw, "Client Status\t= %s\nClient Description\t= %s\nDesired Status\t= %s\nDesired Description\t= %s\nCreated\t= %s\nModified\t= %s\n",
		a.ClientStatus, orDash(a.ClientDescription), a.DesiredStatus, orDash(a.DesiredDescription), ago(a.CreateTime, now), ago(a.ModifyTime, now))
	if a.DeploymentID != "" {
		health := "unset"
		if a.DeploymentStatus != nil && a.DeploymentStatus.Healthy != nil {
			health = map[bool]string{true: "healthy", false: "unhealthy"}[*a.DeploymentStatus.Healthy]
		}
		fmt.Fprintf(tw, "Deployment ID\t= %s\nDeployment Health\t= %s\n", short(a.DeploymentID), health)
		if a.DeploymentStatus != nil && a.DeploymentStatus.Canary {
			fmt.Fprintln(tw, "Canary\t= true")
		}
	}
	tw.Flush()
	if a.AllocatedResources != nil && len(a.AllocatedResources.Shared.Ports) > 0 {
		fmt.Fprintln(e.Stdout, "\nAllocation Addresses:")
		tw = tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "Label\tDynamic\tAddress")
		for _, p := range a.AllocatedResources.Shared.Ports {
			to := ""
			if p.To > 0 {
				to = " -> " + strconv.Itoa(p.To)
			}
			fmt.Fprintf(tw, "*%s\tyes\t%s:%d%s\n", p.Label, p.HostIP, p.Value, to)
		}
		tw.Flush()
	}
	printTaskStates(e.Stdout, a)
	return 0
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func printTaskStates(w io.Writer, a *nomadwire.Allocation) {
	tasks := make([]string, 0, len(a.TaskStates))
	for t := range a.TaskStates {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		ts := a.TaskStates[t]
		fmt.Fprintf(w, "\nTask %q is %q (restarts: %d)\nRecent Events:\n", t, ts.State, ts.Restarts)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "Time\tType\tDescription")
		for i := len(ts.Events) - 1; i >= 0 && i >= len(ts.Events)-10; i-- {
			ev := ts.Events[i]
			fmt.Fprintf(tw, "%s\t%s\t%s\n", time.Unix(0, ev.Time).Format(time.RFC3339), ev.Type, ev.DisplayMessage)
		}
		tw.Flush()
	}
}

func allocLogs(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "alloc logs")
	client := addressFlags(fs, e)
	followLogs := fs.Bool("f", false, "follow the log as the task writes it")
	stderr := fs.Bool("stderr", false, "print the task's stderr instead of its stdout")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		fmt.Fprintln(e.Stderr, "usage: orbit alloc logs [-f] [-stderr] ID [TASK]")
		return 2
	}
	c := client()
	a, err := findAlloc(ctx, c, pos[0])
	if err != nil {
		return fail(e, err)
	}
	task := ""
	if len(pos) == 2 {
		task = pos[1]
	} else if task, err = onlyTask(a); err != nil {
		return fail(e, err)
	}
	stream := "stdout"
	if *stderr {
		stream = "stderr"
	}
	q := url.Values{"task": {task}, "type": {stream}, "plain": {"true"}, "follow": {strconv.FormatBool(*followLogs)}, "origin": {"start"}}
	path := "/v1/client/fs/logs/" + a.ID + "?" + q.Encode()
	if err := streamGet(ctx, c, path, e.Stdout); err != nil {
		return fail(e, err)
	}
	return 0
}

// onlyTask returns the allocation's task when its group has just one.
func onlyTask(a *nomadwire.Allocation) (string, error) {
	var names []string
	if a.Job != nil {
		for _, g := range a.Job.TaskGroups {
			if g.Name == a.TaskGroup {
				for _, t := range g.Tasks {
					names = append(names, t.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		for t := range a.TaskStates {
			names = append(names, t)
		}
	}
	if len(names) != 1 {
		sort.Strings(names)
		return "", fmt.Errorf("allocation %s has tasks %v: name one", short(a.ID), names)
	}
	return names[0], nil
}

// streamGet copies a GET answer to w as it arrives (followed logs have no
// end), without the client's overall timeout.
func streamGet(ctx context.Context, c *apiClient, path string, w io.Writer) error {
	req, err := c.newRequest(ctx, "GET", path, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the orbit agent at %s: %w", c.where(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return &apiError{Status: resp.StatusCode, Message: string(msg)}
	}
	if _, err := io.Copy(w, resp.Body); err != nil && ctx.Err() == nil {
		return fmt.Errorf("read logs: %w", err)
	}
	return nil
}
