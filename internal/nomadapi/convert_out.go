package nomadapi

import (
	"time"

	"github.com/orbit/orbit/internal/job"
)

// fromJob converts a stored job version into Nomad's JSON shape.
func fromJob(v *job.Version, h *job.Head, createRev, modRev int64) *wJob {
	j := v.Job
	w := &wJob{ID: j.ID, Name: j.Name, Type: j.Type, Namespace: j.Namespace, Region: j.Region, Priority: j.Priority,
		AllAtOnce: j.AllAtOnce, Datacenters: nonNil(j.Datacenters), Meta: metaMap(j.Meta), Constraints: fromConstraints(j.Constraints),
		Affinities: fromAffinities(j.Affinities), Spreads: fromSpreads(j.Spreads), Update: fromUpdate(j.Update),
		Reschedule: fromReschedule(j.Reschedule), Version: v.Version, Stable: v.Stable, SubmitTime: v.SubmitTime.UnixNano(),
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), JobModifyIndex: uint64(modRev)}
	if h != nil {
		w.Status, w.Stop = h.Status, h.Stopped && h.Version == v.Version
		if w.Stop && w.Status == "" {
			w.Status = job.JobDead
		}
	}
	if w.Status == "" {
		w.Status = job.JobPending
	}
	for _, g := range j.Groups {
		w.TaskGroups = append(w.TaskGroups, fromGroup(g))
	}
	return w
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func metaMap(m job.Meta) map[string]string {
	if len(m.Values) == 0 {
		return nil
	}
	out := make(map[string]string, len(m.Values))
	for k, v := range m.Values {
		out[k] = v
	}
	return out
}

func fromConstraints(in []*job.Constraint) []*wConstraint {
	var out []*wConstraint
	for _, c := range in {
		out = append(out, &wConstraint{LTarget: c.Attribute, RTarget: c.Value, Operand: c.Operator})
	}
	return out
}

func fromAffinities(in []*job.Affinity) []*wAffinity {
	var out []*wAffinity
	for _, a := range in {
		w := int8(a.Weight)
		out = append(out, &wAffinity{LTarget: a.Attribute, RTarget: a.Value, Operand: a.Operator, Weight: &w})
	}
	return out
}

func fromSpreads(in []*job.Spread) []*wSpread {
	var out []*wSpread
	for _, s := range in {
		w := int8(s.Weight)
		sp := &wSpread{Attribute: s.Attribute, Weight: &w}
		for _, t := range s.Targets {
			sp.SpreadTarget = append(sp.SpreadTarget, &wSpreadTarget{Value: t.Value, Percent: uint8(t.Percent)})
		}
		out = append(out, sp)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func fromUpdate(u *job.Update) *wUpdate {
	if u == nil {
		return nil
	}
	return &wUpdate{Stagger: ptr(u.Stagger), MaxParallel: ptr(u.MaxParallel), HealthCheck: ptr(u.HealthCheck),
		MinHealthyTime: ptr(u.MinHealthyTime), HealthyDeadline: ptr(u.HealthyDeadline), ProgressDeadline: ptr(u.ProgressDeadline),
		Canary: ptr(u.Canary), AutoRevert: ptr(u.AutoRevert), AutoPromote: ptr(u.AutoPromote)}
}

func fromRestart(r *job.Restart) *wRestart {
	if r == nil {
		return nil
	}
	return &wRestart{Interval: ptr(r.Interval), Attempts: ptr(r.Attempts), Delay: ptr(r.Delay), Mode: ptr(r.Mode),
		RenderTemplates: ptr(r.RenderTemplates)}
}

func fromReschedule(r *job.Reschedule) *wReschedule {
	if r == nil {
		return nil
	}
	return &wReschedule{Attempts: ptr(r.Attempts), Interval: ptr(r.Interval), Delay: ptr(r.Delay),
		DelayFunction: ptr(r.DelayFunction), MaxDelay: ptr(r.MaxDelay), Unlimited: ptr(r.Unlimited)}
}

func fromGroup(g *job.Group) *wTaskGroup {
	w := &wTaskGroup{Name: g.Name, Count: ptr(g.Count), Constraints: fromConstraints(g.Constraints),
		Affinities: fromAffinities(g.Affinities), Spreads: fromSpreads(g.Spreads), RestartPolicy: fromRestart(g.Restart),
		ReschedulePolicy: fromReschedule(g.Reschedule), Update: fromUpdate(g.Update), Meta: metaMap(g.Meta),
		ShutdownDelay: ptr(g.ShutdownDelay)}
	if n := g.Network; n != nil {
		wn := &wNetwork{Mode: n.Mode}
		for _, p := range n.Ports {
			wp := wPort{Label: p.Label, Value: p.Static, To: p.To, HostNetwork: p.HostNetwork}
			if p.IsStatic() {
				wn.ReservedPorts = append(wn.ReservedPorts, wp)
			} else {
				wn.DynamicPorts = append(wn.DynamicPorts, wp)
			}
		}
		w.Networks = []*wNetwork{wn}
	}
	if len(g.Volumes) > 0 {
		w.Volumes = map[string]*wVolumeRequest{}
		for _, v := range g.Volumes {
			w.Volumes[v.Name] = &wVolumeRequest{Name: v.Name, Type: v.Type, Source: v.Source, ReadOnly: v.ReadOnly}
		}
	}
	for _, s := range g.Services {
		w.Services = append(w.Services, fromService(s))
	}
	for _, t := range g.Tasks {
		w.Tasks = append(w.Tasks, fromTask(t))
	}
	return w
}

func fromService(s *job.Service) *wService {
	w := &wService{Name: s.Name, Tags: s.Tags, CanaryTags: s.CanaryTags, PortLabel: s.Port, AddressMode: s.AddressMode,
		Address: s.Address, Meta: metaMap(s.Meta), TaskName: s.Task, Provider: s.Provider}
	if id := s.Identity; id != nil {
		w.Identity = &wIdentity{Name: id.Name, Audience: id.Aud, TTL: id.TTL, Env: id.Env, File: id.File,
			ChangeMode: id.ChangeMode, ChangeSignal: id.ChangeSignal, ServiceName: s.Name}
	}
	for _, c := range s.Checks {
		w.Checks = append(w.Checks, wCheck{Name: c.Name, Type: c.Type, Command: c.Command, Args: c.Args, Path: c.Path,
			Protocol: c.Protocol, PortLabel: c.Port, Interval: c.Interval, Timeout: c.Timeout, InitialStatus: c.InitialStatus,
			TLSServerName: c.TLSServerName, TLSSkipVerify: c.TLSSkipVerify, Header: c.Header, Method: c.Method,
			GRPCService: c.GRPCService, GRPCUseTLS: c.GRPCUseTLS, TaskName: c.Task, SuccessBeforePassing: c.SuccessBeforePassing,
			FailuresBeforeCritical: c.FailuresBeforeCritical, FailuresBeforeWarning: c.FailuresBeforeWarning, Body: c.Body,
			OnUpdate: c.OnUpdate})
	}
	return w
}

func fromTask(t *job.Task) *wTask {
	w := &wTask{Name: t.Name, Driver: t.Driver, User: t.User, Leader: t.Leader, KillSignal: t.KillSignal,
		ShutdownDelay: t.ShutdownDelay, KillTimeout: ptr(t.KillTimeout), RestartPolicy: fromRestart(t.Restart),
		Constraints: fromConstraints(t.Constraints), Affinities: fromAffinities(t.Affinities), Meta: metaMap(t.Meta)}
	if c, ok := t.Config.Plain().(map[string]any); ok {
		w.Config = c
	}
	if len(t.Env.Values) > 0 {
		w.Env = map[string]string{}
		for k, v := range t.Env.Values {
			w.Env[k] = v
		}
	}
	if r := t.Resources; r != nil {
		w.Resources = &wResources{CPU: ptr(r.CPU), Cores: ptr(r.Cores), MemoryMB: ptr(r.MemoryMB), MemoryMaxMB: ptr(r.MemoryMaxMB), DiskMB: ptr(r.DiskMB)}
	}
	for _, s := range t.Services {
		w.Services = append(w.Services, fromService(s))
	}
	for _, tp := range t.Templates {
		w.Templates = append(w.Templates, &wTemplate{EmbeddedTmpl: ptr(tp.Data), SourcePath: ptr(tp.Source),
			DestPath: ptr(tp.Destination), ChangeMode: ptr(tp.ChangeMode), ChangeSignal: ptr(tp.ChangeSignal),
			Splay: ptr(tp.Splay), Perms: ptr(tp.Perms), LeftDelim: ptr(tp.LeftDelim), RightDelim: ptr(tp.RightDelim), Envvars: ptr(tp.Env)})
	}
	for _, vm := range t.VolumeMounts {
		w.VolumeMounts = append(w.VolumeMounts, &wVolumeMount{Volume: ptr(vm.Volume), Destination: ptr(vm.Destination), ReadOnly: ptr(vm.ReadOnly)})
	}
	if t.Lifecycle != nil {
		w.Lifecycle = &wLifecycle{Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar}
	}
	if t.Logs != nil {
		w.LogConfig = &wLogConfig{MaxFiles: ptr(t.Logs.MaxFiles), MaxFileSizeMB: ptr(t.Logs.MaxFileSizeMB)}
	}
	return w
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromAlloc converts an allocation and its client's report.
func fromAlloc(a *job.Allocation, st *job.AllocStatus, nodeID string, createRev, modRev int64) *wAllocation {
	w := &wAllocation{ID: a.ID, Namespace: a.Namespace, EvalID: a.EvalID, Name: a.Name, NodeID: nodeID, NodeName: a.Node,
		JobID: a.JobID, JobVersion: a.JobVersion, TaskGroup: a.TaskGroup, DesiredStatus: a.DesiredStatus,
		DesiredDescription: a.DesiredDescription, ClientStatus: a.ClientStatusWith(st), DeploymentID: a.DeploymentID,
		FollowupEvalID: a.FollowupEvalID, PreviousAllocation: a.PreviousAllocation, NextAllocation: a.NextAllocation,
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), AllocModifyIndex: uint64(modRev),
		CreateTime: nanos(a.CreateTime), ModifyTime: nanos(a.ModifyTime)}
	res := &wAllocatedResources{Tasks: map[string]*wTaskResources{}, Shared: wSharedResources{DiskMB: int64(a.Resources.DiskMB)}}
	for name, r := range a.Tasks {
		tr := &wTaskResources{}
		tr.Cpu.CpuShares = int64(r.CPU)
		tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB = int64(r.MemoryMB), int64(r.MemoryMaxMB)
		res.Tasks[name] = tr
	}
	w.AllocatedResources = res
	if len(a.RescheduleEvents) > 0 {
		w.RescheduleTracker = &wRescheduleTracker{}
		for _, e := range a.RescheduleEvents {
			w.RescheduleTracker.Events = append(w.RescheduleTracker.Events, &wRescheduleEvent{RescheduleTime: nanos(e.Time),
				PrevAllocID: e.PrevAlloc, PrevNodeID: e.PrevNode, Delay: e.Delay})
		}
	}
	if st == nil {
		return w
	}
	if st.ModifyTime.After(a.ModifyTime) {
		w.ModifyTime = nanos(st.ModifyTime)
	}
	w.ClientDescription = st.ClientDescription
	if len(st.Ports) > 0 {
		// Nomad reports ports twice: as port mappings and, for older tools,
		// as the allocation's network with its dynamic and reserved ports.
		nw := &wNetwork{Mode: "host", IP: st.Ports[0].HostIP}
		static := map[string]bool{}
		for _, p := range a.Ports {
			static[p.Label] = p.Static > 0
		}
		for _, p := range st.Ports {
			res.Shared.Ports = append(res.Shared.Ports, wPortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: p.HostIP})
			wp := wPort{Label: p.Label, Value: p.Value, To: p.To, HostNetwork: "default"}
			if static[p.Label] {
				nw.ReservedPorts = append(nw.ReservedPorts, wp)
			} else {
				nw.DynamicPorts = append(nw.DynamicPorts, wp)
			}
		}
		res.Shared.Networks = []*wNetwork{nw}
	}
	if d := st.DeploymentStatus; d != nil {
		w.DeploymentStatus = &wAllocHealth{Healthy: ptr(d.Healthy), Timestamp: d.Timestamp, Canary: d.Canary}
	}
	if len(st.TaskStates) > 0 {
		w.TaskStates = map[string]*wTaskState{}
		for name, ts := range st.TaskStates {
			ws := &wTaskState{State: ts.State, Failed: ts.Failed, Restarts: uint64(ts.Restarts), LastRestart: ts.LastRestart,
				StartedAt: ts.StartedAt, FinishedAt: ts.FinishedAt}
			for _, e := range ts.Events {
				ws.Events = append(ws.Events, &wTaskEvent{Type: e.Type, Time: nanos(e.Time), DisplayMessage: e.Message,
					Message: e.Message, ExitCode: e.ExitCode, Signal: e.Signal, Details: map[string]string{}})
			}
			w.TaskStates[name] = ws
		}
	}
	return w
}

func fromEval(e *job.Evaluation, createRev, modRev int64) *wEvaluation {
	w := &wEvaluation{ID: e.ID, Priority: e.Priority, Type: e.Type, TriggeredBy: e.TriggeredBy, Namespace: e.Namespace,
		JobID: e.JobID, NodeID: e.Node, DeploymentID: e.DeploymentID, Status: e.Status, StatusDescription: e.StatusDescription,
		WaitUntil: e.WaitUntil, NextEval: e.NextEval, PreviousEval: e.PreviousEval, BlockedEval: e.BlockedEval,
		QueuedAllocations: e.QueuedAllocations, CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev),
		CreateTime: nanos(e.CreateTime), ModifyTime: nanos(e.ModifyTime)}
	if len(e.FailedTGAllocs) > 0 {
		w.FailedTGAllocs = map[string]*wAllocMetric{}
		for g, m := range e.FailedTGAllocs {
			w.FailedTGAllocs[g] = &wAllocMetric{NodesEvaluated: m.NodesEvaluated, NodesFiltered: m.NodesFiltered,
				NodesAvailable: m.NodesAvailable, ClassFiltered: m.ClassFiltered, ConstraintFiltered: m.ConstraintFiltered,
				NodesExhausted: m.NodesExhausted, DimensionExhausted: m.DimensionExhausted, CoalescedFailures: m.CoalescedFailures}
		}
	}
	return w
}

func fromDeployment(d *job.Deployment, createRev, modRev int64) *wDeployment {
	w := &wDeployment{ID: d.ID, Namespace: d.Namespace, JobID: d.JobID, JobVersion: d.JobVersion, Status: d.Status,
		StatusDescription: d.StatusDescription, TaskGroups: map[string]*wDeploymentState{},
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), CreateTime: nanos(d.CreateTime), ModifyTime: nanos(d.ModifyTime)}
	for g, s := range d.TaskGroups {
		w.TaskGroups[g] = &wDeploymentState{PlacedCanaries: s.PlacedCanaries, AutoRevert: s.AutoRevert,
			ProgressDeadline: s.ProgressDeadline, RequireProgressBy: s.RequireProgressBy, Promoted: s.Promoted,
			DesiredCanaries: s.DesiredCanaries, DesiredTotal: s.DesiredTotal, PlacedAllocs: s.PlacedAllocs,
			HealthyAllocs: s.HealthyAllocs, UnhealthyAllocs: s.UnhealthyAllocs}
	}
	return w
}

func fromNode(n *job.NodeInfo, alive bool, createRev, modRev int64) *wNode {
	w := &wNode{ID: n.ID, Datacenter: n.Datacenter, Name: n.Name, Address: n.Address, HTTPAddr: n.HTTPAddr,
		Attributes: n.Attributes, Meta: n.Meta, NodeClass: n.NodeClass, NodePool: n.NodePool, Version: n.Version,
		Drain: n.Drain, SchedulingEligibility: n.Eligibility, Status: job.NodeDown, Drivers: map[string]*wDriverInfo{},
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), NodeResources: &wNodeResources{}, ReservedResources: &wNodeResources{}}
	if w.ID == "" {
		w.ID = n.Name
	}
	if w.NodePool == "" {
		w.NodePool = "default"
	}
	if w.SchedulingEligibility == "" {
		w.SchedulingEligibility = job.NodeEligible
	}
	if alive {
		w.Status = job.NodeReady
	}
	w.NodeResources.Cpu.CpuShares, w.NodeResources.Memory.MemoryMB, w.NodeResources.Disk.DiskMB =
		int64(n.Resources.CPU), int64(n.Resources.MemoryMB), int64(n.Resources.DiskMB)
	w.ReservedResources.Cpu.CpuShares, w.ReservedResources.Memory.MemoryMB, w.ReservedResources.Disk.DiskMB =
		int64(n.Reserved.CPU), int64(n.Reserved.MemoryMB), int64(n.Reserved.DiskMB)
	for name, d := range n.Drivers {
		w.Drivers[name] = &wDriverInfo{Attributes: d.Attributes, Detected: d.Detected, Healthy: d.Healthy,
			HealthDescription: d.Description, UpdateTime: d.UpdateTime}
	}
	if len(n.HostVolumes) > 0 {
		w.HostVolumes = map[string]*wHostVolume{}
		for name, v := range n.HostVolumes {
			w.HostVolumes[name] = &wHostVolume{Path: v.Path, ReadOnly: v.ReadOnly}
		}
	}
	return w
}

// EncodeJob returns j in the Nomad API's JSON shape, ready to marshal into
// a register or plan request (the CLI submits parsed job files this way).
func EncodeJob(j *job.Job) any { return fromJob(&job.Version{Job: j}, nil, 0, 0) }
