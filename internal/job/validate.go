package job

import (
	"strconv"
	"time"
)

// Canonicalize fills the defaults a parser leaves out: the job's name, type,
// namespace, region and priority, and each task's kill timeout. Counts are
// set by whoever builds the job (0 is a valid count).
func (j *Job) Canonicalize() {
	if j.Name == "" {
		j.Name = j.ID
	}
	if j.Type == "" {
		j.Type = TypeService
	}
	if j.Namespace == "" {
		j.Namespace = DefaultNamespace
	}
	if j.Region == "" {
		j.Region = DefaultRegion
	}
	if j.Priority == 0 {
		j.Priority = DefaultPriority
	}
	if j.Periodic != nil && j.Periodic.SpecType == "" {
		j.Periodic.SpecType = PeriodicSpecCron
	}
	for _, g := range j.Groups {
		if g.Network != nil && g.Network.Mode == "" {
			g.Network.Mode = NetworkHost
		}
		for _, t := range g.Tasks {
			if t.KillTimeout == 0 {
				t.KillTimeout = DefaultKillTimeout
			}
		}
	}
}

// Validate checks that the job is well formed and returns every problem as
// an ErrorList, or nil. It does not judge the job against the standards;
// that is internal/policy's work.
func (j *Job) Validate() error {
	var errs ErrorList
	add := func(pos Pos, format string, args ...any) { errs = append(errs, Errorf(pos, format, args...)) }
	if j.ID == "" {
		add(j.Pos, "job has no name: write job \"name\" { ... }")
	}
	switch j.Type {
	case "", TypeService, TypeBatch, TypeSystem:
	default:
		add(j.TypePos, "job type %q is not one of service, batch, system", j.Type)
	}
	if j.Priority != 0 && (j.Priority < 1 || j.Priority > 100) {
		add(j.PriorityPos, "priority %d is outside 1..100", j.Priority)
	}
	if len(j.Groups) == 0 {
		add(j.Pos, "job %q has no group", j.ID)
	}
	errs = append(errs, j.Update.validate()...)
	if j.Periodic != nil {
		for _, msg := range j.Periodic.validate(j) {
			add(j.Periodic.Pos, "%s", msg)
		}
	}
	seen := map[string]bool{}
	for _, g := range j.Groups {
		if seen[g.Name] {
			add(g.Pos, "group %q is defined twice", g.Name)
		}
		seen[g.Name] = true
		errs = append(errs, g.validate()...)
	}
	return errs.Err()
}

func (g *Group) validate() ErrorList {
	var errs ErrorList
	add := func(pos Pos, format string, args ...any) { errs = append(errs, Errorf(pos, format, args...)) }
	if g.Count < 0 {
		add(g.CountPos, "count %d is negative", g.Count)
	}
	if len(g.Tasks) == 0 {
		add(g.Pos, "group %q has no task", g.Name)
	}
	errs = append(errs, g.Update.validate()...)
	labels := map[string]bool{}
	if g.Network != nil {
		switch g.Network.Mode {
		case "", NetworkHost, NetworkBridge:
		default:
			add(g.Network.Pos, "network mode %q is not host or bridge", g.Network.Mode)
		}
		for _, p := range g.Network.Ports {
			if labels[p.Label] {
				add(p.Pos, "port %q is defined twice", p.Label)
			}
			labels[p.Label] = true
			if p.Static < 0 || p.Static > 65535 {
				add(p.StaticPos, "static port %d is outside 0..65535", p.Static)
			}
			if p.To < -1 || p.To > 65535 {
				add(p.ToPos, "port %d is outside 0..65535", p.To)
			}
		}
	}
	tasks := map[string]bool{}
	for _, t := range g.Tasks {
		if tasks[t.Name] {
			add(t.Pos, "task %q is defined twice", t.Name)
		}
		tasks[t.Name] = true
	}
	for _, s := range g.Services {
		errs = append(errs, s.validate(labels, tasks)...)
	}
	for _, t := range g.Tasks {
		errs = append(errs, t.validate(labels, tasks)...)
	}
	return errs
}

func (t *Task) validate(labels, tasks map[string]bool) ErrorList {
	var errs ErrorList
	if t.Driver == "" {
		errs = append(errs, Errorf(t.Pos, "task %q has no driver", t.Name))
	}
	if t.Resources != nil {
		r := t.Resources
		if r.CPU < 0 || r.MemoryMB < 0 || r.MemoryMaxMB < 0 || r.Cores < 0 {
			errs = append(errs, Errorf(r.Pos, "resources must not be negative"))
		}
		if r.CPU > 0 && r.Cores > 0 {
			errs = append(errs, Errorf(r.Pos, "set cpu or cores, not both"))
		}
		if r.MemoryMaxMB > 0 && r.MemoryMaxMB < r.MemoryMB {
			errs = append(errs, Errorf(r.Pos, "memory_max %d is below memory %d", r.MemoryMaxMB, r.MemoryMB))
		}
	}
	for _, tp := range t.Templates {
		if tp.Destination == "" {
			errs = append(errs, Errorf(tp.Pos, "template has no destination"))
		}
		if (tp.Data == "") == (tp.Source == "") {
			errs = append(errs, Errorf(tp.Pos, "template needs exactly one of data or source"))
		}
		if tp.ChangeMode == ChangeModeSignal && tp.ChangeSignal == "" {
			errs = append(errs, Errorf(tp.Pos, "change_mode \"signal\" needs change_signal"))
		}
	}
	for _, s := range t.Services {
		errs = append(errs, s.validate(labels, tasks)...)
	}
	return errs
}

func (s *Service) validate(labels, tasks map[string]bool) ErrorList {
	var errs ErrorList
	if s.Port != "" && !labels[s.Port] {
		if _, err := strconv.Atoi(s.Port); err != nil {
			errs = append(errs, Errorf(s.PortPos, "service port %q is not a port label of the group's network", s.Port))
		}
	}
	switch s.Provider {
	case "", ProviderConsul, ProviderNomad:
	default:
		errs = append(errs, Errorf(s.Pos, "service provider %q is not consul or nomad", s.Provider))
	}
	switch s.AddressMode {
	case "", AddressModeAuto, AddressModeHost, AddressModeDriver, AddressModeAlloc:
	default:
		errs = append(errs, Errorf(s.Pos, "service address_mode %q is not auto, host, driver or alloc", s.AddressMode))
	}
	for _, c := range s.Checks {
		errs = append(errs, c.validate(s, tasks)...)
	}
	return errs
}

func (c *Check) validate(s *Service, tasks map[string]bool) ErrorList {
	var errs ErrorList
	switch c.Type {
	case CheckHTTP, CheckTCP, CheckGRPC, CheckTTL:
	case CheckScript:
		if c.Command == "" {
			errs = append(errs, Errorf(c.Pos, "script check needs a command"))
		}
		if c.Task == "" && s.Task == "" {
			errs = append(errs, Errorf(c.Pos, "a group-level script check needs task"))
		}
	case "":
		errs = append(errs, Errorf(c.Pos, "check has no type: one of http, tcp, grpc, ttl, script"))
	default:
		errs = append(errs, Errorf(c.TypePos, "check type %q is not one of http, tcp, grpc, ttl, script", c.Type))
	}
	if c.Type == CheckHTTP && c.Path == "" {
		errs = append(errs, Errorf(c.Pos, "http check needs a path"))
	}
	if c.Task != "" && !tasks[c.Task] {
		errs = append(errs, Errorf(c.Pos, "check task %q is not a task of the group", c.Task))
	}
	if c.Interval < 0 || (c.Interval > 0 && c.Interval < time.Second) {
		errs = append(errs, Errorf(c.IntervalPos, "check interval %s is below the minimum of 1s", c.Interval))
	}
	if c.Timeout < 0 {
		errs = append(errs, Errorf(c.TimeoutPos, "check timeout %s is negative", c.Timeout))
	}
	return errs
}

// validate checks an update block (nil: none) as Nomad does.
func (u *Update) validate() ErrorList {
	if u == nil {
		return nil
	}
	var errs ErrorList
	add := func(format string, args ...any) { errs = append(errs, Errorf(u.Pos, format, args...)) }
	if u.MaxParallel < 0 {
		add("update max_parallel %d is negative", u.MaxParallel)
	}
	if u.Canary < 0 {
		add("update canary %d is negative", u.Canary)
	}
	switch u.HealthCheck {
	case "", HealthChecks, HealthTaskStates, HealthManual:
	default:
		add("update health_check %q is not one of checks, task_states, manual", u.HealthCheck)
	}
	return errs
}
