package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/identity"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// workloadTokenSpace names derived tokens' accessors: one per
// allocation and task, so a restarted task gets its token back.
var workloadTokenSpace = uuid.MustParse("6f1b1b8e-5a51-4c53-9b8e-1f0c2d9e7a10")

// consulTokens derives a task's Consul ACL token from its consul.io
// workload identity, with nothing set up by hand: the token reads
// services and nodes, writes its allocation's services, reads KV under
// jobs/<job-id>/ and gets the role job-<job-id> if an operator made one
// (acl.Workload, resolved by aclresolve). It lives until its allocation
// stops (revokeWorkloadTokens).
type consulTokens struct {
	signer *identity.Signer
	store  *store.Store
	view   *view.View
	now    func() time.Time
}

var _ client.ConsulTokens = (*consulTokens)(nil)

// DeriveConsulToken implements client.ConsulTokens.
func (c *consulTokens) DeriveConsulToken(ctx context.Context, jwt string) (string, error) {
	claims, err := c.signer.Verify(jwt)
	if err != nil {
		return "", fmt.Errorf("workload identity: %w", err)
	}
	if !slices.Contains(claims.Audience, acl.WorkloadAudience) || claims.Task == "" {
		return "", errors.New("workload identity: not a task identity for consul.io")
	}
	st, ok := c.view.Alloc(claims.AllocationID)
	if !ok || st.Alloc.V.JobID != claims.JobID || allocStopped(st) {
		return "", fmt.Errorf("allocation %s is not running", claims.AllocationID)
	}
	a := st.Alloc.V
	w := &acl.Workload{JobID: a.JobID, AllocationID: a.ID, Task: claims.Task, Services: c.services(a, claims.Task)}
	accessor := uuid.NewSHA1(workloadTokenSpace, []byte(a.ID+"/"+claims.Task)).String()
	if _, ok := c.view.ACLToken(accessor); ok {
		return c.store.ACLTokenSecret(ctx, accessor)
	}
	t := &acl.Token{AccessorID: accessor, SecretID: uuid.NewString(), Local: true, Workload: w, CreateTime: c.now().UTC(),
		Description: fmt.Sprintf("Workload token of job %s, allocation %s, task %s", a.JobID, a.ID, claims.Task)}
	t.SetHash()
	rev, err := c.store.CreateACLToken(ctx, t)
	if errors.Is(err, store.ErrACLAccessorInUse) {
		return c.store.ACLTokenSecret(ctx, accessor)
	}
	if err != nil {
		return "", fmt.Errorf("create workload token: %w", err)
	}
	if err := c.view.WaitRevision(ctx, rev); err != nil {
		return "", err
	}
	return t.SecretID, nil
}

// services are the service names an allocation's task may write: its
// group's and its own.
func (c *consulTokens) services(a *job.Allocation, task string) []string {
	v, ok := c.view.JobVersion(a.Namespace, a.JobID, a.JobVersion)
	if !ok {
		return nil
	}
	g := v.V.Job.LookupGroup(a.TaskGroup)
	if g == nil {
		return nil
	}
	var out []string
	add := func(ss []*job.Service) {
		for _, s := range ss {
			if s.Name != "" && !slices.Contains(out, s.Name) {
				out = append(out, s.Name)
			}
		}
	}
	add(g.Services)
	for _, t := range g.Tasks {
		if t.Name == task {
			add(t.Services)
		}
	}
	return out
}

// allocStopped says whether an allocation no longer runs: its client
// finished it or it was lost.
func allocStopped(st view.AllocState) bool {
	return job.IsTerminalClientStatus(st.Alloc.V.ClientStatusWith(st.Status.V))
}

// workloadTokensToRevoke are the derived tokens whose allocation is gone
// or stopped.
func workloadTokensToRevoke(tokens []*acl.Token, alloc func(id string) (view.AllocState, bool)) []string {
	var out []string
	for _, t := range tokens {
		if t.Workload == nil {
			continue
		}
		if st, ok := alloc(t.Workload.AllocationID); !ok || allocStopped(st) {
			out = append(out, t.AccessorID)
		}
	}
	return out
}

// revokeWorkloadTokens deletes derived tokens as their allocations stop,
// on every server (deleting twice is harmless): at each change of the
// allocations' reports, and every 10s for allocations collected.
func (c *consulTokens) revokeWorkloadTokens(ctx context.Context, log func(msg string, args ...any)) error {
	var index uint64
	for ctx.Err() == nil {
		for _, id := range workloadTokensToRevoke(c.view.ACLTokens(), c.view.Alloc) {
			if _, _, err := c.store.DeleteACLToken(ctx, id); err != nil && ctx.Err() == nil {
				log("cannot revoke a workload token; retrying", "accessor", id, "err", err)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		index = max(c.view.Wait(wctx, view.FamilyRes(store.FamilyAllocStatus), max(index, 1)), index)
		cancel()
	}
	return nil
}

// templateAccess lets the client check a task token's read rights.
type templateAccess struct{ auth acl.Authorizer }

var _ client.TemplateAccess = templateAccess{}

// MayRead implements client.TemplateAccess.
func (t templateAccess) MayRead(token, kind, name string) bool {
	return t.auth.Authorize(context.Background(), token, acl.Rule{Resource: kind, Segment: name, Access: acl.Read}) == nil
}

// dnsAccess answers DNS with the rights of requests that carry no token
// (the default token, else the anonymous one), as Consul's DNS does.
type dnsAccess struct{ auth acl.Authorizer }

// MayRead implements dns.Access.
func (d dnsAccess) MayRead(kind, name string) bool {
	return d.auth.Authorize(context.Background(), "", acl.Rule{Resource: kind, Segment: name, Access: acl.Read}) == nil
}
