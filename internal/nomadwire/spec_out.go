package nomadwire

import "github.com/orbit/orbit/internal/job"

// FromJob returns j's spec in Nomad's shape. The server-set fields
// (status, version, indexes) are left zero for the caller to fill.
func FromJob(j *job.Job) *Job {
	w := &Job{ID: j.ID, Name: j.Name, Type: j.Type, Namespace: j.Namespace, Region: j.Region, Priority: j.Priority,
		AllAtOnce: j.AllAtOnce, Datacenters: nonNil(j.Datacenters), Meta: metaMap(j.Meta), Constraints: fromConstraints(j.Constraints),
		Affinities: fromAffinities(j.Affinities), Spreads: fromSpreads(j.Spreads), Update: fromUpdate(j.Update),
		Reschedule: fromReschedule(j.Reschedule), Periodic: fromPeriodic(j.Periodic), ParentID: j.ParentID}
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

func fromConstraints(in []*job.Constraint) []*Constraint {
	var out []*Constraint
	for _, c := range in {
		out = append(out, &Constraint{LTarget: c.Attribute, RTarget: c.Value, Operand: c.Operator})
	}
	return out
}

func fromAffinities(in []*job.Affinity) []*Affinity {
	var out []*Affinity
	for _, a := range in {
		w := int8(a.Weight)
		out = append(out, &Affinity{LTarget: a.Attribute, RTarget: a.Value, Operand: a.Operator, Weight: &w})
	}
	return out
}

func fromSpreads(in []*job.Spread) []*Spread {
	var out []*Spread
	for _, s := range in {
		w := int8(s.Weight)
		sp := &Spread{Attribute: s.Attribute, Weight: &w}
		for _, t := range s.Targets {
			sp.SpreadTarget = append(sp.SpreadTarget, &SpreadTarget{Value: t.Value, Percent: uint8(t.Percent)})
		}
		out = append(out, sp)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func fromUpdate(u *job.Update) *Update {
	if u == nil {
		return nil
	}
	return &Update{Stagger: ptr(u.Stagger), MaxParallel: ptr(u.MaxParallel), HealthCheck: ptr(u.HealthCheck),
		MinHealthyTime: ptr(u.MinHealthyTime), HealthyDeadline: ptr(u.HealthyDeadline), ProgressDeadline: ptr(u.ProgressDeadline),
		Canary: ptr(u.Canary), AutoRevert: ptr(u.AutoRevert), AutoPromote: ptr(u.AutoPromote)}
}

func fromRestart(r *job.Restart) *Restart {
	if r == nil {
		return nil
	}
	return &Restart{Interval: ptr(r.Interval), Attempts: ptr(r.Attempts), Delay: ptr(r.Delay), Mode: ptr(r.Mode),
		RenderTemplates: ptr(r.RenderTemplates)}
}

func fromReschedule(r *job.Reschedule) *Reschedule {
	if r == nil {
		return nil
	}
	return &Reschedule{Attempts: ptr(r.Attempts), Interval: ptr(r.Interval), Delay: ptr(r.Delay),
		DelayFunction: ptr(r.DelayFunction), MaxDelay: ptr(r.MaxDelay), Unlimited: ptr(r.Unlimited)}
}

func fromGroup(g *job.Group) *TaskGroup {
	w := &TaskGroup{Name: g.Name, Count: ptr(g.Count), Constraints: fromConstraints(g.Constraints),
		Affinities: fromAffinities(g.Affinities), Spreads: fromSpreads(g.Spreads), RestartPolicy: fromRestart(g.Restart),
		ReschedulePolicy: fromReschedule(g.Reschedule), Update: fromUpdate(g.Update), Meta: metaMap(g.Meta),
		ShutdownDelay: ptr(g.ShutdownDelay)}
	if ap := g.ActivePassive; ap != nil {
		w.ActivePassive = &ActivePassive{Lock: ap.Lock, TTL: ap.TTL}
	}
	if m := g.Migrate; m != nil {
		w.Migrate = &Migrate{MaxParallel: ptr(m.MaxParallel), HealthCheck: ptr(m.HealthCheck),
			MinHealthyTime: ptr(m.MinHealthyTime), HealthyDeadline: ptr(m.HealthyDeadline)}
	}
	if n := g.Network; n != nil {
		wn := &Network{Mode: n.Mode}
		for _, p := range n.Ports {
			wp := Port{Label: p.Label, Value: p.Static, To: p.To, HostNetwork: p.HostNetwork}
			if p.IsStatic() {
				wn.ReservedPorts = append(wn.ReservedPorts, wp)
			} else {
				wn.DynamicPorts = append(wn.DynamicPorts, wp)
			}
		}
		w.Networks = []*Network{wn}
	}
	if len(g.Volumes) > 0 {
		w.Volumes = map[string]*VolumeRequest{}
		for _, v := range g.Volumes {
			w.Volumes[v.Name] = &VolumeRequest{Name: v.Name, Type: v.Type, Source: v.Source, ReadOnly: v.ReadOnly}
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

func fromIdentity(id *job.Identity) *Identity {
	return &Identity{Name: id.Name, Audience: id.Aud, TTL: id.TTL, Env: id.Env, File: id.File,
		ChangeMode: id.ChangeMode, ChangeSignal: id.ChangeSignal}
}

func fromService(s *job.Service) *Service {
	w := &Service{Name: s.Name, Tags: s.Tags, CanaryTags: s.CanaryTags, PortLabel: s.Port, AddressMode: s.AddressMode,
		Address: s.Address, Meta: metaMap(s.Meta), TaskName: s.Task, Provider: s.Provider}
	if id := s.Identity; id != nil {
		w.Identity = fromIdentity(id)
		w.Identity.ServiceName = s.Name
	}
	for _, c := range s.Checks {
		w.Checks = append(w.Checks, Check{Name: c.Name, Type: c.Type, Command: c.Command, Args: c.Args, Path: c.Path,
			Protocol: c.Protocol, PortLabel: c.Port, Interval: c.Interval, Timeout: c.Timeout, InitialStatus: c.InitialStatus,
			TLSServerName: c.TLSServerName, TLSSkipVerify: c.TLSSkipVerify, Header: c.Header, Method: c.Method,
			GRPCService: c.GRPCService, GRPCUseTLS: c.GRPCUseTLS, TaskName: c.Task, SuccessBeforePassing: c.SuccessBeforePassing,
			FailuresBeforeCritical: c.FailuresBeforeCritical, FailuresBeforeWarning: c.FailuresBeforeWarning, Body: c.Body,
			OnUpdate: c.OnUpdate})
	}
	return w
}

func fromTask(t *job.Task) *Task {
	w := &Task{Name: t.Name, Driver: t.Driver, User: t.User, Leader: t.Leader, KillSignal: t.KillSignal,
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
		w.Resources = &Resources{CPU: ptr(r.CPU), Cores: ptr(r.Cores), MemoryMB: ptr(r.MemoryMB), MemoryMaxMB: ptr(r.MemoryMaxMB), DiskMB: ptr(r.DiskMB)}
	}
	for _, s := range t.Services {
		w.Services = append(w.Services, fromService(s))
	}
	for _, id := range t.Identities {
		if id.Name == "" || id.Name == "default" {
			w.Identity = fromIdentity(id)
		} else {
			w.Identities = append(w.Identities, fromIdentity(id))
		}
	}
	for _, tp := range t.Templates {
		w.Templates = append(w.Templates, &Template{EmbeddedTmpl: ptr(tp.Data), SourcePath: ptr(tp.Source),
			DestPath: ptr(tp.Destination), ChangeMode: ptr(tp.ChangeMode), ChangeSignal: ptr(tp.ChangeSignal),
			Splay: ptr(tp.Splay), Perms: ptr(tp.Perms), LeftDelim: ptr(tp.LeftDelim), RightDelim: ptr(tp.RightDelim), Envvars: ptr(tp.Env)})
	}
	for _, vm := range t.VolumeMounts {
		w.VolumeMounts = append(w.VolumeMounts, &VolumeMount{Volume: ptr(vm.Volume), Destination: ptr(vm.Destination), ReadOnly: ptr(vm.ReadOnly)})
	}
	if t.Lifecycle != nil {
		w.Lifecycle = &Lifecycle{Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar}
	}
	if t.Logs != nil {
		w.LogConfig = &LogConfig{MaxFiles: ptr(t.Logs.MaxFiles), MaxFileSizeMB: ptr(t.Logs.MaxFileSizeMB)}
	}
	return w
}

// fromPeriodic is Nomad's canonical periodic block: the time zone "UTC"
// when none was written.
func fromPeriodic(p *job.Periodic) *PeriodicConfig {
	if p == nil {
		return nil
	}
	tz := p.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	out := &PeriodicConfig{Enabled: ptr(p.Enabled), SpecType: ptr(p.SpecType), ProhibitOverlap: ptr(p.ProhibitOverlap),
		TimeZone: ptr(tz), Specs: p.Specs}
	if out.Specs == nil {
		out.Specs = []string{}
	}
	out.Spec = ptr(p.Spec)
	if *out.SpecType == "" {
		out.SpecType = ptr(job.PeriodicSpecCron)
	}
	return out
}
