package job

// GroupUpdate returns the update policy in force for group g: the group's,
// else the job's, else the default, with durations left zero taking the
// default's; nil for job types without deployments (batch, system). A
// MaxParallel of 0 means no rolling update: every allocation is replaced at
// once, without a deployment.
func (j *Job) GroupUpdate(g *Group) *Update {
	if j.Type == TypeBatch || j.Type == TypeSystem {
		return nil
	}
	d := DefaultUpdate()
	w := g.Update
	if w == nil {
		w = j.Update
	}
	if w == nil {
		return d
	}
	u := *w
	if u.HealthCheck == "" {
		u.HealthCheck = d.HealthCheck
	}
	if u.MinHealthyTime == 0 {
		u.MinHealthyTime = d.MinHealthyTime
	}
	if u.HealthyDeadline == 0 {
		u.HealthyDeadline = d.HealthyDeadline
	}
	if u.ProgressDeadline == 0 {
		u.ProgressDeadline = d.ProgressDeadline
	}
	return &u
}

// GroupReschedule returns the reschedule policy in force for group g: the
// group's, else the job's, else the job type's default (nil for system
// jobs, which are never rescheduled).
func (j *Job) GroupReschedule(g *Group) *Reschedule {
	switch {
	case g.Reschedule != nil:
		return g.Reschedule
	case j.Reschedule != nil:
		return j.Reschedule
	default:
		return DefaultReschedule(j.Type)
	}
}

// TaskRestart returns the restart policy in force for task t of group g:
// the task's, else the group's, else the job type's default.
func (j *Job) TaskRestart(g *Group, t *Task) *Restart {
	switch {
	case t != nil && t.Restart != nil:
		return t.Restart
	case g.Restart != nil:
		return g.Restart
	default:
		return DefaultRestart(j.Type)
	}
}

// LookupGroup returns the group named name, or nil.
func (j *Job) LookupGroup(name string) *Group {
	for _, g := range j.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
