package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
)

// cmdMembers lists the agents with their liveness and, for servers, their
// part in the store cluster (leader, follower, learner). Servers that are
// members of the store without a live agent are listed too.
func cmdMembers(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "members")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := client()
	var members []struct {
		Name   string
		Addr   string
		Status int
		Tags   map[string]string
	}
	if _, err := c.do(ctx, "GET", "/v1/agent/members", nil, &members); err != nil {
		return fail(e, err)
	}
	roles := map[string]string{}
	cfg, err := raftConfig(ctx, c)
	if err != nil {
		fmt.Fprintf(e.Stderr, "(server roles unknown: %v)\n", err)
	}
	for _, s := range cfg.Servers {
		roles[s.Node] = s.role()
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Node\tAddress\tStatus\tType\tRole\tDC")
	seen := map[string]bool{}
	for _, m := range members {
		seen[m.Name] = true
		status := "failed"
		if m.Status == 1 {
			status = "alive"
		}
		typ, role := "client", "-"
		if m.Tags["role"] == "consul" {
			typ, role = "server", "?"
		}
		if r, ok := roles[m.Name]; ok {
			typ, role = "server", r
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, m.Addr, status, typ, role, m.Tags["dc"])
	}
	for _, s := range cfg.Servers {
		if !seen[s.Node] {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Node, s.Address, "failed", "server", s.role(), "")
		}
	}
	tw.Flush()
	return 0
}

func cmdServices(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "services")
	client := addressFlags(fs, e)
	tags := fs.Bool("tags", false, "show each service's tags")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c := client()
	var svcs map[string][]string
	if _, err := c.do(ctx, "GET", "/v1/catalog/services", nil, &svcs); err != nil {
		return fail(e, err)
	}
	names := make([]string, 0, len(svcs))
	for n := range svcs {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	header := "Service\tInstances\tPassing"
	if *tags {
		header += "\tTags"
	}
	fmt.Fprintln(tw, header)
	for _, n := range names {
		var entries []struct {
			Checks []struct{ Status string }
		}
		if _, err := c.do(ctx, "GET", "/v1/health/service/"+n, nil, &entries); err != nil {
			return fail(e, err)
		}
		passing := 0
		for _, en := range entries {
			ok := true
			for _, ch := range en.Checks {
				if ch.Status != "passing" {
					ok = false
				}
			}
			if ok {
				passing++
			}
		}
		line := fmt.Sprintf("%s\t%d\t%d", n, len(entries), passing)
		if *tags {
			line += "\t" + strings.Join(svcs[n], ",")
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
	return 0
}
