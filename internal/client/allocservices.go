package client

import (
	"context"
	"maps"
	"slices"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

// wantedServices builds the registrations the allocation should have now:
// each running task's services, and the group's while a task runs.
func (ar *allocRunner) wantedServices() map[string]*registration {
	facts := ar.c.nodeFacts() // before ar.mu: the lock order is c.mu, then ar.mu
	ar.mu.Lock()
	defer ar.mu.Unlock()
	want := map[string]*registration{}
	if ar.stopping || ar.group == nil {
		return want
	}
	in := svcInput{Alloc: ar.alloc, Job: ar.job, Group: ar.group, Ports: ar.st.Ports,
		Node: ar.c.cfg.NodeName, Address: ar.c.cfg.Address, Facts: facts}
	var groupEnv map[string]string
	for _, tr := range ar.runners {
		ts := ar.status.TaskStates[tr.task.Name]
		if ts == nil || ts.State != job.TaskRunning || tr.env == nil {
			continue
		}
		if groupEnv == nil {
			groupEnv = tr.env
		}
		if len(tr.task.Services) == 0 {
			continue
		}
		tin := in
		tin.Task, tin.Services, tin.Env = tr.task, tr.task.Services, tr.env
		ar.addWanted(want, tin)
	}
	if groupEnv != nil && len(ar.group.Services) > 0 {
		gin := in
		gin.Services, gin.Env = ar.group.Services, groupEnv
		ar.addWanted(want, gin)
	}
	return want
}

func (ar *allocRunner) addWanted(want map[string]*registration, in svcInput) {
	regs, err := buildServices(in)
	if err != nil {
		if !ar.svcErrLogged {
			ar.log.Error("cannot build service registrations", "err", err)
			ar.svcErrLogged = true
		}
		return
	}
	for i := range regs {
		if in.Group.ActivePassive != nil {
			role := ar.role // ar.mu is held by wantedServices
			if role == "" {
				role = catalog.RoleStandby
			}
			regs[i].Instance.Tags = withRole(regs[i].Instance.Tags, role)
			regs[i].Instance.Meta[catalog.MetaActivePassiveRole] = role
		}
		want[regs[i].Instance.ID] = &regs[i]
	}
}

// syncServices registers wanted services not yet registered and
// deregisters registered ones no longer wanted (a task that stopped
// running takes its services with it until it runs again).
func (ar *allocRunner) syncServices(ctx context.Context) {
	want := ar.wantedServices()
	ar.mu.Lock()
	have := maps.Clone(ar.regs)
	ar.mu.Unlock()
	node := ar.c.cfg.NodeName
	for id, reg := range want {
		if old, ok := have[id]; ok && sameInstance(old.Instance, reg.Instance) {
			continue
		}
		if cur, ok := ar.c.view.Instance(node, id); !ok || !sameInstance(cur, reg.Instance) || !ar.checksPresent(reg) {
			if _, err := ar.c.store.RegisterInstance(ctx, nil, reg.Instance, reg.Checks); err != nil {
				if ctx.Err() == nil {
					ar.log.Error("register service", "service", id, "err", err)
				}
				continue
			}
			ar.log.Debug("registered service", "service", id, "port", reg.Instance.Port)
		}
		ar.mu.Lock()
		ar.regs[id] = reg
		ar.mu.Unlock()
	}
	for id := range have {
		if _, ok := want[id]; ok {
			continue
		}
		ar.deregister(ctx, id)
	}
}

// checksPresent reports whether every check of reg is in the view (an
// instance left by an earlier agent keeps its checks and their status).
func (ar *allocRunner) checksPresent(reg *registration) bool {
	for _, c := range reg.Checks {
		if _, ok := ar.c.view.Check(ar.c.cfg.NodeName, c.CheckID); !ok {
			return false
		}
	}
	return true
}

func (ar *allocRunner) deregister(ctx context.Context, id string) {
	if _, _, err := ar.c.store.DeregisterInstance(ctx, ar.c.cfg.NodeName, id); err != nil {
		if ctx.Err() == nil {
			ar.log.Error("deregister service", "service", id, "err", err)
		}
		return
	}
	ar.mu.Lock()
	delete(ar.regs, id)
	ar.mu.Unlock()
}

// deregisterAll removes every service the allocation owns, including ones
// registered by an earlier agent process, and keeps them from coming back.
func (ar *allocRunner) deregisterAll(ctx context.Context) {
	ar.mu.Lock()
	ar.stopping = true
	ids := slices.Collect(maps.Keys(ar.regs))
	ar.mu.Unlock()
	signal(ar.lockCh) // the lock loop releases the lock now
	for _, in := range ar.c.view.NodeInstances(ar.c.cfg.NodeName) {
		if in.Owner == ar.id && !slices.Contains(ids, in.ID) {
			ids = append(ids, in.ID)
		}
	}
	for _, id := range ids {
		ar.deregister(ctx, id)
	}
}
