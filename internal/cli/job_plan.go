package cli

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/nomadwire"
)

// jobPlan shows what running a job file would change: the diff against
// the running version and the placements. Exit status as Nomad's: 0 no
// allocation changes, 1 allocations would be created or destroyed.
func jobPlan(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "job plan")
	client := addressFlags(fs, e)
	vars := varFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 255
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit job plan [-var name=value] [-var-file FILE] JOBFILE")
		return 255
	}
	opts, err := vars()
	if err != nil {
		fail(e, err)
		return 255
	}
	j, err := loadJob(e, pos[0], opts)
	if err != nil {
		fmt.Fprintln(e.Stderr, err)
		return 255
	}
	var p nomadwire.PlanResponse
	path := "/v1/job/" + url.PathEscape(j.ID) + "/plan?namespace=" + url.QueryEscape(j.Namespace)
	if _, err := client().do(ctx, "PUT", path, &nomadwire.PlanRequest{Job: nomadwire.FromJob(j), Diff: true}, &p); err != nil {
		fail(e, err)
		return 255
	}
	w := e.Stdout
	if p.Diff != nil {
		sym := map[string]string{"Added": "+", "Deleted": "-", "Edited": "~", "None": " "}
		fmt.Fprintf(w, "%s Job: %q\n", sym[p.Diff.Type], j.ID)
		for _, f := range p.Diff.Fields {
			switch f.Type {
			case "Added":
				fmt.Fprintf(w, "  + %s: %q\n", f.Name, f.New)
			case "Deleted":
				fmt.Fprintf(w, "  - %s: %q\n", f.Name, f.Old)
			default:
				fmt.Fprintf(w, "  ~ %s: %q => %q\n", f.Name, f.Old, f.New)
			}
		}
	}
	changes := false
	groups := make([]string, 0, len(p.Annotations.DesiredTGUpdates))
	for g := range p.Annotations.DesiredTGUpdates {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	fmt.Fprintln(w, "\nScheduler dry-run:")
	for _, g := range groups {
		u := p.Annotations.DesiredTGUpdates[g]
		var parts []string
		for _, c := range []struct {
			n    uint64
			what string
		}{{u.Place, "create"}, {u.Canary, "create (canary)"}, {u.DestructiveUpdate, "create/destroy update"}, {u.InPlaceUpdate, "in-place update"}, {u.Stop, "destroy"}, {u.Ignore, "ignore"}} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		changes = changes || u.Place+u.Canary+u.DestructiveUpdate+u.Stop > 0
		fmt.Fprintf(w, "- Task Group %q: %s\n", g, strings.Join(parts, ", "))
		if nodes := p.Placements[g]; len(nodes) > 0 {
			fmt.Fprintf(w, "    placements on: %s\n", strings.Join(nodes, ", "))
		}
	}
	if len(p.FailedTGAllocs) > 0 {
		fmt.Fprintln(w, "- WARNING: Failed to place all allocations.")
		printFailures(w, nomadwire.Evaluation{FailedTGAllocs: p.FailedTGAllocs})
	} else {
		fmt.Fprintln(w, "- All tasks successfully allocated.")
	}
	if p.Warnings != "" {
		fmt.Fprintf(w, "\nJob Warnings:\n%s\n", indent(p.Warnings))
	}
	fmt.Fprintf(w, "\nTo submit the job with version verification run:\n\norbit job run %s\n", pos[0])
	if changes {
		return 1
	}
	return 0
}
