package cli

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orbit/orbit/internal/nomadwire"
)

// cmdNode shows the client nodes the scheduler places on.
func cmdNode(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "node", args, map[string]func(context.Context, *Env, []string) int{
		"status": nodeStatus,
	})
}

func nodeStatus(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "node status")
	client := addressFlags(fs, e)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	c := client()
	if len(pos) == 1 {
		return nodeInfo(ctx, e, c, pos[0])
	}
	var nodes []nomadwire.Node
	if _, err := c.do(ctx, "GET", "/v1/nodes", nil, &nodes); err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDC\tName\tClass\tDrivers\tEligibility\tStatus")
	for _, n := range nodes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", short(n.ID), n.Datacenter, n.Name, orDash(n.NodeClass),
			strings.Join(healthyDrivers(n), ","), n.SchedulingEligibility, n.Status)
	}
	tw.Flush()
	return 0
}

func healthyDrivers(n nomadwire.Node) []string {
	var out []string
	for name, d := range n.Drivers {
		if d != nil && d.Detected && d.Healthy {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func nodeInfo(ctx context.Context, e *Env, c *apiClient, id string) int {
	var n nomadwire.Node
	if _, err := c.do(ctx, "GET", "/v1/node/"+url.PathEscape(id), nil, &n); err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "ID\t= %s\nName\t= %s\nDatacenter\t= %s\nAddress\t= %s\nHTTP Addr\t= %s\nStatus\t= %s\nEligibility\t= %s\nDrivers\t= %s\n",
		n.ID, n.Name, n.Datacenter, n.Address, n.HTTPAddr, n.Status, n.SchedulingEligibility, strings.Join(healthyDrivers(n), ","))
	if r := n.NodeResources; r != nil {
		fmt.Fprintf(tw, "CPU\t= %d MHz\nMemory\t= %d MiB\n", r.Cpu.CpuShares, r.Memory.MemoryMB)
	}
	tw.Flush()
	var allocs []nomadwire.Allocation
	if _, err := c.do(ctx, "GET", "/v1/node/"+url.PathEscape(n.ID)+"/allocations", nil, &allocs); err == nil {
		fmt.Fprintln(e.Stdout, "\nAllocations")
		printAllocs(e, allocs, time.Now())
	}
	return 0
}
