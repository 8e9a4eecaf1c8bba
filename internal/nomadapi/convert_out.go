package nomadapi

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
)

// fromJob converts a stored job version into Nomad's JSON shape.
func fromJob(v *job.Version, h *job.Head, createRev, modRev int64) *nomadwire.Job {
	w := nomadwire.FromJob(v.Job)
	w.Version, w.Stable, w.SubmitTime = v.Version, v.Stable, v.SubmitTime.UnixNano()
	w.CreateIndex, w.ModifyIndex, w.JobModifyIndex = uint64(createRev), uint64(modRev), uint64(modRev)
	if h != nil {
		w.Status, w.Stop = h.Status, h.Stopped && h.Version == v.Version
		if w.Stop && w.Status == "" {
			w.Status = job.JobDead
		}
	}
	if w.Status == "" {
		w.Status = job.JobPending
	}
	return w
}

func ptr[T any](v T) *T { return &v }

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromAlloc converts an allocation and its client's report.
func fromAlloc(a *job.Allocation, st *job.AllocStatus, nodeID string, createRev, modRev int64) *nomadwire.Allocation {
	w := &nomadwire.Allocation{ID: a.ID, Namespace: a.Namespace, EvalID: a.EvalID, Name: a.Name, NodeID: nodeID, NodeName: a.Node,
		JobID: a.JobID, JobVersion: a.JobVersion, TaskGroup: a.TaskGroup, DesiredStatus: a.DesiredStatus,
		DesiredDescription: a.DesiredDescription, ClientStatus: a.ClientStatusWith(st), DeploymentID: a.DeploymentID,
		FollowupEvalID: a.FollowupEvalID, PreviousAllocation: a.PreviousAllocation, NextAllocation: a.NextAllocation,
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), AllocModifyIndex: uint64(modRev),
		CreateTime: nanos(a.CreateTime), ModifyTime: nanos(a.ModifyTime)}
	res := &nomadwire.AllocatedResources{Tasks: map[string]*nomadwire.TaskResources{}, Shared: nomadwire.SharedResources{DiskMB: int64(a.Resources.DiskMB)}}
	for name, r := range a.Tasks {
		tr := &nomadwire.TaskResources{}
		tr.Cpu.CpuShares = int64(r.CPU)
		tr.Memory.MemoryMB, tr.Memory.MemoryMaxMB = int64(r.MemoryMB), int64(r.MemoryMaxMB)
		res.Tasks[name] = tr
	}
	w.AllocatedResources = res
	if len(a.RescheduleEvents) > 0 {
		w.RescheduleTracker = &nomadwire.RescheduleTracker{}
		for _, e := range a.RescheduleEvents {
			w.RescheduleTracker.Events = append(w.RescheduleTracker.Events, &nomadwire.RescheduleEvent{RescheduleTime: nanos(e.Time),
				PrevAllocID: e.PrevAlloc, PrevNodeID: e.PrevNode, Delay: e.Delay})
		}
	}
	if a.Canary {
		w.DeploymentStatus = &nomadwire.AllocHealth{Canary: true}
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
		nw := &nomadwire.Network{Mode: "host", IP: st.Ports[0].HostIP}
		static, hostNetwork := map[string]bool{}, map[string]string{}
		for _, p := range a.Ports {
			static[p.Label] = p.Static > 0
			hostNetwork[p.Label] = cmp.Or(p.HostNetwork, job.DefaultHostNetwork)
		}
		for _, p := range st.Ports {
			res.Shared.Ports = append(res.Shared.Ports, nomadwire.PortMapping{Label: p.Label, Value: p.Value, To: p.To, HostIP: p.HostIP})
			wp := nomadwire.Port{Label: p.Label, Value: p.Value, To: p.To, HostNetwork: hostNetwork[p.Label]}
			if static[p.Label] {
				nw.ReservedPorts = append(nw.ReservedPorts, wp)
			} else {
				nw.DynamicPorts = append(nw.DynamicPorts, wp)
			}
		}
		res.Shared.Networks = []*nomadwire.Network{nw}
	}
	if d := st.DeploymentStatus; d != nil {
		// The scheduler's flag says whether it is still a canary: promotion
		// clears it, the client's report keeps what it saw.
		w.DeploymentStatus = &nomadwire.AllocHealth{Healthy: ptr(d.Healthy), Timestamp: d.Timestamp, Canary: a.Canary}
	}
	if len(st.TaskStates) > 0 {
		w.TaskStates = map[string]*nomadwire.TaskState{}
		for name, ts := range st.TaskStates {
			ws := &nomadwire.TaskState{State: ts.State, Failed: ts.Failed, Restarts: uint64(ts.Restarts), LastRestart: ts.LastRestart,
				StartedAt: ts.StartedAt, FinishedAt: ts.FinishedAt}
			for _, e := range ts.Events {
				ws.Events = append(ws.Events, &nomadwire.TaskEvent{Type: e.Type, Time: nanos(e.Time), DisplayMessage: e.Message,
					Message: e.Message, ExitCode: e.ExitCode, Signal: e.Signal, Details: map[string]string{}})
			}
			w.TaskStates[name] = ws
		}
	}
	return w
}

func fromEval(e *job.Evaluation, createRev, modRev int64) *nomadwire.Evaluation {
	w := &nomadwire.Evaluation{ID: e.ID, Priority: e.Priority, Type: e.Type, TriggeredBy: e.TriggeredBy, Namespace: e.Namespace,
		JobID: e.JobID, NodeID: e.Node, DeploymentID: e.DeploymentID, Status: e.Status, StatusDescription: e.StatusDescription,
		WaitUntil: e.WaitUntil, NextEval: e.NextEval, PreviousEval: e.PreviousEval, BlockedEval: e.BlockedEval,
		QueuedAllocations: e.QueuedAllocations, CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev),
		CreateTime: nanos(e.CreateTime), ModifyTime: nanos(e.ModifyTime)}
	if len(e.FailedTGAllocs) > 0 {
		w.FailedTGAllocs = map[string]*nomadwire.AllocMetric{}
		for g, m := range e.FailedTGAllocs {
			w.FailedTGAllocs[g] = &nomadwire.AllocMetric{NodesEvaluated: m.NodesEvaluated, NodesFiltered: m.NodesFiltered,
				NodesAvailable: m.NodesAvailable, ClassFiltered: m.ClassFiltered, ConstraintFiltered: m.ConstraintFiltered,
				NodesExhausted: m.NodesExhausted, DimensionExhausted: m.DimensionExhausted, CoalescedFailures: m.CoalescedFailures}
		}
	}
	return w
}

func fromDeployment(d *job.Deployment, createRev, modRev int64) *nomadwire.Deployment {
	w := &nomadwire.Deployment{ID: d.ID, Namespace: d.Namespace, JobID: d.JobID, JobVersion: d.JobVersion, Status: d.Status,
		StatusDescription: d.StatusDescription, TaskGroups: map[string]*nomadwire.DeploymentState{},
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), CreateTime: nanos(d.CreateTime), ModifyTime: nanos(d.ModifyTime)}
	for g, s := range d.TaskGroups {
		w.TaskGroups[g] = &nomadwire.DeploymentState{PlacedCanaries: s.PlacedCanaries, AutoRevert: s.AutoRevert, AutoPromote: s.AutoPromote,
			ProgressDeadline: s.ProgressDeadline, RequireProgressBy: s.RequireProgressBy, Promoted: s.Promoted,
			DesiredCanaries: s.DesiredCanaries, DesiredTotal: s.DesiredTotal, PlacedAllocs: s.PlacedAllocs,
			HealthyAllocs: s.HealthyAllocs, UnhealthyAllocs: s.UnhealthyAllocs}
	}
	return w
}

func fromNode(n *job.NodeInfo, alive bool, createRev, modRev int64) *nomadwire.Node {
	w := &nomadwire.Node{ID: n.ID, Datacenter: n.Datacenter, Name: n.Name, Address: n.Address, HTTPAddr: n.HTTPAddr,
		Attributes: n.Attributes, Meta: n.Meta, NodeClass: n.NodeClass, NodePool: n.NodePool, Version: n.Version,
		Drain: n.Drain, SchedulingEligibility: n.Eligibility, Status: job.NodeDown, Drivers: map[string]*nomadwire.DriverInfo{},
		CreateIndex: uint64(createRev), ModifyIndex: uint64(modRev), NodeResources: &nomadwire.NodeResources{}, ReservedResources: &nomadwire.NodeResources{}}
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
	w.DrainStrategy, w.LastDrain = fromDrain(n.DrainStrategy, n.LastDrain)
	w.NodeResources.Cpu.CpuShares, w.NodeResources.Memory.MemoryMB, w.NodeResources.Disk.DiskMB =
		int64(n.Resources.CPU), int64(n.Resources.MemoryMB), int64(n.Resources.DiskMB)
	w.ReservedResources.Cpu.CpuShares, w.ReservedResources.Memory.MemoryMB, w.ReservedResources.Disk.DiskMB =
		int64(n.Reserved.CPU), int64(n.Reserved.MemoryMB), int64(n.Reserved.DiskMB)
	for name, d := range n.Drivers {
		w.Drivers[name] = &nomadwire.DriverInfo{Attributes: d.Attributes, Detected: d.Detected, Healthy: d.Healthy,
			HealthDescription: d.Description, UpdateTime: d.UpdateTime}
	}
	if len(n.HostVolumes) > 0 {
		w.HostVolumes = map[string]*nomadwire.HostVolume{}
		for name, v := range n.HostVolumes {
			w.HostVolumes[name] = &nomadwire.HostVolume{Path: v.Path, ReadOnly: v.ReadOnly}
		}
	}
	w.HostNetworks, w.NodeResources.NodeNetworks = fromHostNetworks(n)
	return w
}

// fromHostNetworks reports a node's host networks as Nomad does: the
// declarations in HostNetworks, and in NodeResources.NodeNetworks the
// node's address as alias "default" and each resolved network's address
// under its name, grouped by device.
func fromHostNetworks(n *job.NodeInfo) (map[string]*nomadwire.HostNetwork, []*nomadwire.NodeNetwork) {
	nets := []*nomadwire.NodeNetwork{{Mode: "host", Addresses: []*nomadwire.NodeNetworkAddress{
		{Family: "ipv4", Alias: job.DefaultHostNetwork, Address: n.Address}}}}
	if len(n.HostNetworks) == 0 {
		return nil, nets
	}
	decl := map[string]*nomadwire.HostNetwork{}
	byDevice := map[string]*nomadwire.NodeNetwork{}
	for _, name := range slices.Sorted(maps.Keys(n.HostNetworks)) {
		hn := n.HostNetworks[name]
		decl[name] = &nomadwire.HostNetwork{Name: name, CIDR: hn.CIDR, Interface: hn.Interface, ReservedPorts: hn.ReservedPorts}
		if hn.Address == "" {
			continue
		}
		nn := byDevice[hn.Device]
		if nn == nil {
			nn = &nomadwire.NodeNetwork{Mode: "host", Device: hn.Device}
			byDevice[hn.Device] = nn
			nets = append(nets, nn)
		}
		family := "ipv4"
		if strings.Contains(hn.Address, ":") {
			family = "ipv6"
		}
		nn.Addresses = append(nn.Addresses, &nomadwire.NodeNetworkAddress{Family: family, Alias: name,
			Address: hn.Address, ReservedPorts: hn.ReservedPorts})
	}
	return decl, nets
}
