package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"text/tabwriter"

	"github.com/orbit/orbit/internal/nomadwire"
)

// cmdDeployment lists, shows and promotes deployments (Nomad's
// `nomad deployment`).
func cmdDeployment(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "deployment", args, map[string]func(context.Context, *Env, []string) int{
		"status": deploymentStatus, "list": deploymentList, "promote": deploymentPromote,
	})
}

func deploymentList(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "deployment list")
	client := addressFlags(fs, e)
	if _, err := parseArgs(fs, args); err != nil {
		return 2
	}
	var ds []nomadwire.Deployment
	if _, err := client().do(ctx, "GET", "/v1/deployments?namespace=*", nil, &ds); err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tJob ID\tJob Version\tStatus\tDescription")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", short(d.ID), d.JobID, d.JobVersion, d.Status, d.StatusDescription)
	}
	tw.Flush()
	return 0
}

// deploymentStatus shows one deployment (by ID or unique ID prefix) with
// its groups, canaries included; without an ID it lists them.
func deploymentStatus(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "deployment status")
	client := addressFlags(fs, e)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) == 0 {
		return deploymentList(ctx, e, args)
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit deployment status [DEPLOYMENT_ID]")
		return 2
	}
	d, err := findDeployment(ctx, client(), pos[0])
	if err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "ID\t= %s\nJob ID\t= %s\nJob Version\t= %d\nStatus\t= %s\nDescription\t= %s\n",
		d.ID, d.JobID, d.JobVersion, d.Status, d.StatusDescription)
	tw.Flush()
	fmt.Fprint(e.Stdout, "\nDeployed\n"+renderGroups(d, ""))
	return 0
}

// deploymentPromote promotes the canaries of a deployment, every group's
// or the -group ones, then follows the deployment (unless -detach). Exit
// status: 0 promoted (and, when followed, successful), 1 refused or failed.
func deploymentPromote(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "deployment promote")
	client := addressFlags(fs, e)
	var groups multiFlag
	fs.Var(&groups, "group", "promote only this task group (repeatable; default every group)")
	detach := fs.Bool("detach", false, "return once promoted, without following the deployment")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit deployment promote [-group NAME]... [-detach] DEPLOYMENT_ID")
		return 2
	}
	c := client()
	d, err := findDeployment(ctx, c, pos[0])
	if err != nil {
		return fail(e, err)
	}
	req := &nomadwire.DeploymentPromoteRequest{DeploymentID: d.ID, All: len(groups) == 0, Groups: groups}
	var resp nomadwire.DeploymentUpdateResponse
	if _, err := c.do(ctx, "PUT", "/v1/deployment/promote/"+url.PathEscape(d.ID), req, &resp); err != nil {
		return fail(e, fmt.Errorf("promote deployment %q: %w", short(d.ID), err))
	}
	fmt.Fprintf(e.Stdout, "==> Promoted deployment %q (evaluation %q)\n", short(d.ID), short(resp.EvalID))
	if *detach {
		return 0
	}
	// The evaluation carries the promotion: once the scheduler completed
	// it, the deployment says promoted and the rollout goes on.
	if ev, code := monitorEval(ctx, e, c, resp.EvalID, d.JobID); ev == nil || code != 0 {
		return code
	}
	return watchDeployment(ctx, e, c, d.ID)
}

// findDeployment reads a deployment by ID, else by unique ID prefix.
func findDeployment(ctx context.Context, c *apiClient, id string) (*nomadwire.Deployment, error) {
	var d nomadwire.Deployment
	_, err := c.do(ctx, "GET", "/v1/deployment/"+url.PathEscape(id), nil, &d)
	var ae *apiError
	if err == nil {
		return &d, nil
	}
	if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
		return nil, err
	}
	var ds []nomadwire.Deployment
	if _, err := c.do(ctx, "GET", "/v1/deployments?namespace=*&prefix="+url.QueryEscape(id), nil, &ds); err != nil {
		return nil, err
	}
	switch len(ds) {
	case 0:
		return nil, fmt.Errorf("no deployment with ID or prefix %q", id)
	case 1:
		return &ds[0], nil
	default:
		return nil, fmt.Errorf("prefix %q matches %d deployments; give more of the ID", id, len(ds))
	}
}
