package nomadwire

import (
	"sort"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// ToJob converts a Nomad API job into orbit's job. Fields orbit does not
// support (parameterized) are refused by the caller.
func ToJob(w *Job) *job.Job {
	j := &job.Job{ID: w.ID, Name: w.Name, Type: w.Type, Namespace: w.Namespace, Region: w.Region, Priority: w.Priority,
		Datacenters: w.Datacenters, AllAtOnce: w.AllAtOnce, Meta: toMeta(w.Meta),
		Constraints: toConstraints(w.Constraints), Affinities: toAffinities(w.Affinities), Spreads: toSpreads(w.Spreads),
		Update: toUpdate(w.Update), Reschedule: toReschedule(w.Reschedule), Periodic: toPeriodic(w.Periodic), ParentID: w.ParentID}
	for _, tg := range w.TaskGroups {
		j.Groups = append(j.Groups, toGroup(tg))
	}
	return j
}

func toMeta(m map[string]string) job.Meta {
	var out job.Meta
	for k, v := range m {
		out.Set(k, v, job.Pos{})
	}
	return out
}

func toConstraints(in []*Constraint) []*job.Constraint {
	var out []*job.Constraint
	for _, c := range in {
		out = append(out, &job.Constraint{Attribute: c.LTarget, Operator: c.Operand, Value: c.RTarget})
	}
	return out
}

func toAffinities(in []*Affinity) []*job.Affinity {
	var out []*job.Affinity
	for _, a := range in {
		w := 50
		if a.Weight != nil {
			w = int(*a.Weight)
		}
		out = append(out, &job.Affinity{Attribute: a.LTarget, Operator: a.Operand, Value: a.RTarget, Weight: w})
	}
	return out
}

func toSpreads(in []*Spread) []*job.Spread {
	var out []*job.Spread
	for _, s := range in {
		sp := &job.Spread{Attribute: s.Attribute, Weight: 50}
		if s.Weight != nil {
			sp.Weight = int(*s.Weight)
		}
		for _, t := range s.SpreadTarget {
			sp.Targets = append(sp.Targets, job.SpreadTarget{Value: t.Value, Percent: int(t.Percent)})
		}
		out = append(out, sp)
	}
	return out
}

func pint(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

func pdur(p *time.Duration, def time.Duration) time.Duration {
	if p == nil {
		return def
	}
	return *p
}

func pstr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}

func pbool(p *bool) bool { return p != nil && *p }

func toUpdate(u *Update) *job.Update {
	if u == nil {
		return nil
	}
	d := job.DefaultUpdate()
	return &job.Update{MaxParallel: pint(u.MaxParallel, d.MaxParallel), HealthCheck: pstr(u.HealthCheck, d.HealthCheck),
		MinHealthyTime: pdur(u.MinHealthyTime, d.MinHealthyTime), HealthyDeadline: pdur(u.HealthyDeadline, d.HealthyDeadline),
		ProgressDeadline: pdur(u.ProgressDeadline, d.ProgressDeadline), AutoRevert: pbool(u.AutoRevert),
		AutoPromote: pbool(u.AutoPromote), Canary: pint(u.Canary, 0), Stagger: pdur(u.Stagger, d.Stagger)}
}

func toRestart(r *Restart) *job.Restart {
	if r == nil {
		return nil
	}
	d := job.DefaultRestart(job.TypeService)
	return &job.Restart{Attempts: pint(r.Attempts, d.Attempts), Interval: pdur(r.Interval, d.Interval),
		Delay: pdur(r.Delay, d.Delay), Mode: pstr(r.Mode, d.Mode), RenderTemplates: pbool(r.RenderTemplates)}
}

func toReschedule(r *Reschedule) *job.Reschedule {
	if r == nil {
		return nil
	}
	return &job.Reschedule{Attempts: pint(r.Attempts, 0), Interval: pdur(r.Interval, 0), Delay: pdur(r.Delay, 0),
		DelayFunction: pstr(r.DelayFunction, "constant"), MaxDelay: pdur(r.MaxDelay, 0), Unlimited: pbool(r.Unlimited)}
}

func toGroup(tg *TaskGroup) *job.Group {
	g := &job.Group{Name: tg.Name, Count: pint(tg.Count, 1), Meta: toMeta(tg.Meta),
		Constraints: toConstraints(tg.Constraints), Affinities: toAffinities(tg.Affinities), Spreads: toSpreads(tg.Spreads),
		Restart: toRestart(tg.RestartPolicy), Reschedule: toReschedule(tg.ReschedulePolicy), Update: toUpdate(tg.Update),
		ShutdownDelay: pdur(tg.ShutdownDelay, 0)}
	if ap := tg.ActivePassive; ap != nil {
		g.ActivePassive = &job.ActivePassive{Lock: ap.Lock, TTL: ap.TTL}
	}
	if m := tg.Migrate; m != nil {
		d := job.DefaultMigrate()
		g.Migrate = &job.Migrate{MaxParallel: pint(m.MaxParallel, d.MaxParallel), HealthCheck: pstr(m.HealthCheck, d.HealthCheck),
			MinHealthyTime: pdur(m.MinHealthyTime, d.MinHealthyTime), HealthyDeadline: pdur(m.HealthyDeadline, d.HealthyDeadline)}
	}
	if len(tg.Networks) > 0 {
		n := tg.Networks[0]
		g.Network = &job.Network{Mode: n.Mode}
		for _, p := range n.ReservedPorts {
			g.Network.Ports = append(g.Network.Ports, &job.Port{Label: p.Label, Static: p.Value, To: p.To, HostNetwork: p.HostNetwork})
		}
		for _, p := range n.DynamicPorts {
			g.Network.Ports = append(g.Network.Ports, &job.Port{Label: p.Label, To: p.To, HostNetwork: p.HostNetwork})
		}
	}
	names := make([]string, 0, len(tg.Volumes))
	for name := range tg.Volumes {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := tg.Volumes[name]
		g.Volumes = append(g.Volumes, &job.Volume{Name: name, Type: v.Type, Source: v.Source, ReadOnly: v.ReadOnly})
	}
	for _, s := range tg.Services {
		g.Services = append(g.Services, toService(s, ""))
	}
	for _, t := range tg.Tasks {
		g.Tasks = append(g.Tasks, toTask(t))
	}
	return g
}

func toService(s *Service, task string) *job.Service {
	out := &job.Service{Name: s.Name, Port: s.PortLabel, Tags: s.Tags, CanaryTags: s.CanaryTags, Meta: toMeta(s.Meta),
		Provider: s.Provider, AddressMode: s.AddressMode, Address: s.Address, Task: task}
	if out.Task == "" {
		out.Task = s.TaskName
	}
	out.TagPos = make([]job.Pos, len(out.Tags))
	if id := s.Identity; id != nil {
		out.Identity = toIdentity(id)
	}
	for _, c := range s.Checks {
		out.Checks = append(out.Checks, &job.Check{Name: c.Name, Type: c.Type, Port: c.PortLabel, Path: c.Path,
			Method: c.Method, Protocol: c.Protocol, Header: c.Header, Body: c.Body, Command: c.Command, Args: c.Args,
			Task: c.TaskName, GRPCService: c.GRPCService, GRPCUseTLS: c.GRPCUseTLS, TLSSkipVerify: c.TLSSkipVerify,
			TLSServerName: c.TLSServerName, Interval: c.Interval, Timeout: c.Timeout, InitialStatus: c.InitialStatus,
			SuccessBeforePassing: c.SuccessBeforePassing, FailuresBeforeCritical: c.FailuresBeforeCritical,
			FailuresBeforeWarning: c.FailuresBeforeWarning, OnUpdate: c.OnUpdate})
	}
	return out
}

func toIdentity(id *Identity) *job.Identity {
	return &job.Identity{Name: id.Name, Aud: id.Audience, TTL: id.TTL, Env: id.Env, File: id.File,
		ChangeMode: id.ChangeMode, ChangeSignal: id.ChangeSignal}
}

func toTask(t *Task) *job.Task {
	out := &job.Task{Name: t.Name, Driver: t.Driver, User: t.User, Leader: t.Leader, Config: toValue(t.Config),
		Meta: toMeta(t.Meta), KillTimeout: pdur(t.KillTimeout, 0), KillSignal: t.KillSignal, ShutdownDelay: t.ShutdownDelay,
		Restart: toRestart(t.RestartPolicy), Constraints: toConstraints(t.Constraints), Affinities: toAffinities(t.Affinities)}
	if t.Config == nil {
		out.Config = job.Value{Kind: job.KindMap, Map: map[string]job.Value{}}
	}
	for k, v := range t.Env {
		out.Env.Set(k, v, job.Pos{})
	}
	if r := t.Resources; r != nil {
		out.Resources = &job.Resources{CPU: pint(r.CPU, 0), Cores: pint(r.Cores, 0), MemoryMB: pint(r.MemoryMB, 0),
			MemoryMaxMB: pint(r.MemoryMaxMB, 0), DiskMB: pint(r.DiskMB, 0)}
	}
	for _, s := range t.Services {
		out.Services = append(out.Services, toService(s, t.Name))
	}
	if t.Identity != nil {
		out.Identities = append(out.Identities, toIdentity(t.Identity))
	}
	for _, id := range t.Identities {
		out.Identities = append(out.Identities, toIdentity(id))
	}
	for _, tp := range t.Templates {
		out.Templates = append(out.Templates, &job.Template{Data: pstr(tp.EmbeddedTmpl, ""), Source: pstr(tp.SourcePath, ""),
			Destination: pstr(tp.DestPath, ""), Env: pbool(tp.Envvars), ChangeMode: pstr(tp.ChangeMode, job.ChangeModeRestart),
			ChangeSignal: pstr(tp.ChangeSignal, ""), Perms: pstr(tp.Perms, "0644"), LeftDelim: pstr(tp.LeftDelim, "{{"),
			RightDelim: pstr(tp.RightDelim, "}}"), Splay: pdur(tp.Splay, 5*time.Second)})
	}
	for _, vm := range t.VolumeMounts {
		out.VolumeMounts = append(out.VolumeMounts, &job.VolumeMount{Volume: pstr(vm.Volume, ""),
			Destination: pstr(vm.Destination, ""), ReadOnly: pbool(vm.ReadOnly)})
	}
	if t.Lifecycle != nil && t.Lifecycle.Hook != "" {
		out.Lifecycle = &job.Lifecycle{Hook: t.Lifecycle.Hook, Sidecar: t.Lifecycle.Sidecar}
	}
	if t.LogConfig != nil {
		d := job.DefaultLogs()
		out.Logs = &job.Logs{MaxFiles: pint(t.LogConfig.MaxFiles, d.MaxFiles), MaxFileSizeMB: pint(t.LogConfig.MaxFileSizeMB, d.MaxFileSizeMB)}
	}
	return out
}

// toValue converts a decoded JSON value into a job.Value.
func toValue(v any) job.Value {
	switch t := v.(type) {
	case string:
		return job.Value{Kind: job.KindString, Str: t}
	case float64:
		return job.Value{Kind: job.KindNumber, Num: t}
	case bool:
		return job.Value{Kind: job.KindBool, Bool: t}
	case []any:
		out := job.Value{Kind: job.KindList}
		for _, e := range t {
			out.List = append(out.List, toValue(e))
		}
		return out
	case map[string]any:
		out := job.Value{Kind: job.KindMap, Map: map[string]job.Value{}}
		for k, e := range t {
			out.Map[k] = toValue(e)
		}
		return out
	}
	return job.Value{}
}

// toPeriodic applies Nomad's defaults: enabled, "cron", no overlap
// protection, UTC.
func toPeriodic(p *PeriodicConfig) *job.Periodic {
	if p == nil {
		return nil
	}
	out := &job.Periodic{Enabled: p.Enabled == nil || *p.Enabled, Spec: pstr(p.Spec, ""), Specs: p.Specs,
		SpecType: pstr(p.SpecType, job.PeriodicSpecCron), ProhibitOverlap: pbool(p.ProhibitOverlap), TimeZone: pstr(p.TimeZone, "")}
	if out.TimeZone == "UTC" {
		out.TimeZone = ""
	}
	return out
}
