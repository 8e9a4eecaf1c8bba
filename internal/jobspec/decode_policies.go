package jobspec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orbit/orbit/internal/job"
)

func (d *decoder) decodeConstraint(b *hclsyntax.Block) *job.Constraint {
	c := &job.Constraint{Pos: d.pos(b.TypeRange.Start), Operator: "="}
	d.labels(b, 0)
	d.decodeBody(b.Body, "constraint", schema{attrs: attrFns{
		"attribute": func(a *hclsyntax.Attribute) { d.str(a, &c.Attribute) },
		"operator":  func(a *hclsyntax.Attribute) { d.str(a, &c.Operator) },
		"value":     func(a *hclsyntax.Attribute) { d.str(a, &c.Value) },
		// Nomad's shorthands.
		"distinct_hosts": func(a *hclsyntax.Attribute) {
			var on bool
			if d.boolean(a, &on); on {
				c.Operator = "distinct_hosts"
			}
		},
		"distinct_property": func(a *hclsyntax.Attribute) {
			c.Operator = "distinct_property"
			d.str(a, &c.Attribute)
		},
	}})
	return c
}

func (d *decoder) decodeAffinity(b *hclsyntax.Block) *job.Affinity {
	af := &job.Affinity{Pos: d.pos(b.TypeRange.Start), Operator: "=", Weight: 50}
	d.labels(b, 0)
	d.decodeBody(b.Body, "affinity", schema{attrs: attrFns{
		"attribute": func(a *hclsyntax.Attribute) { d.str(a, &af.Attribute) },
		"operator":  func(a *hclsyntax.Attribute) { d.str(a, &af.Operator) },
		"value":     func(a *hclsyntax.Attribute) { d.str(a, &af.Value) },
		"weight":    func(a *hclsyntax.Attribute) { d.integer(a, &af.Weight) },
	}})
	if af.Weight < -100 || af.Weight > 100 || af.Weight == 0 {
		d.errorf(b.TypeRange.Start, "affinity weight %d must be -100..100 and not 0", af.Weight)
	}
	return af
}

func (d *decoder) decodeSpread(b *hclsyntax.Block) *job.Spread {
	s := &job.Spread{Pos: d.pos(b.TypeRange.Start), Weight: 50}
	d.labels(b, 0)
	d.decodeBody(b.Body, "spread", schema{
		attrs: attrFns{
			"attribute": func(a *hclsyntax.Attribute) { d.str(a, &s.Attribute) },
			"weight":    func(a *hclsyntax.Attribute) { d.integer(a, &s.Weight) },
		},
		blocks: blockFns{"target": func(b *hclsyntax.Block) {
			t := job.SpreadTarget{Pos: d.pos(b.TypeRange.Start)}
			if d.labels(b, 1) {
				t.Value = b.Labels[0]
			}
			d.decodeBody(b.Body, "target", schema{attrs: attrFns{
				"value":   func(a *hclsyntax.Attribute) { d.str(a, &t.Value) },
				"percent": func(a *hclsyntax.Attribute) { d.integer(a, &t.Percent) },
			}})
			s.Targets = append(s.Targets, t)
		}},
	})
	if s.Attribute == "" {
		d.errorf(b.TypeRange.Start, "spread needs an attribute")
	}
	return s
}

// decodeRestart decodes a restart block over the job type's default.
func (d *decoder) decodeRestart(b *hclsyntax.Block) *job.Restart {
	r := job.DefaultRestart(d.jobType)
	r.Pos = d.pos(b.TypeRange.Start)
	d.labels(b, 0)
	d.decodeBody(b.Body, "restart", schema{attrs: attrFns{
		"attempts":         func(a *hclsyntax.Attribute) { d.integer(a, &r.Attempts) },
		"interval":         func(a *hclsyntax.Attribute) { d.duration(a, &r.Interval) },
		"delay":            func(a *hclsyntax.Attribute) { d.duration(a, &r.Delay) },
		"render_templates": func(a *hclsyntax.Attribute) { d.boolean(a, &r.RenderTemplates) },
		"mode": func(a *hclsyntax.Attribute) {
			d.str(a, &r.Mode)
			if r.Mode != job.RestartFail && r.Mode != job.RestartDelay {
				d.errorf(a.Expr.Range().Start, "restart mode %q is not fail or delay", r.Mode)
			}
		},
	}})
	return r
}

// decodeReschedule decodes a reschedule block over the job type's default.
func (d *decoder) decodeReschedule(b *hclsyntax.Block) *job.Reschedule {
	r := job.DefaultReschedule(d.jobType)
	if r == nil {
		r = &job.Reschedule{}
	}
	r.Pos = d.pos(b.TypeRange.Start)
	d.labels(b, 0)
	d.decodeBody(b.Body, "reschedule", schema{attrs: attrFns{
		"attempts":  func(a *hclsyntax.Attribute) { d.integer(a, &r.Attempts) },
		"interval":  func(a *hclsyntax.Attribute) { d.duration(a, &r.Interval) },
		"delay":     func(a *hclsyntax.Attribute) { d.duration(a, &r.Delay) },
		"max_delay": func(a *hclsyntax.Attribute) { d.duration(a, &r.MaxDelay) },
		"unlimited": func(a *hclsyntax.Attribute) { d.boolean(a, &r.Unlimited) },
		"delay_function": func(a *hclsyntax.Attribute) {
			d.str(a, &r.DelayFunction)
			switch r.DelayFunction {
			case "constant", "exponential", "fibonacci":
			default:
				d.errorf(a.Expr.Range().Start, "delay_function %q is not constant, exponential or fibonacci", r.DelayFunction)
			}
		},
	}})
	return r
}

// decodeMigrate decodes a migrate block over Nomad's defaults.
func (d *decoder) decodeMigrate(b *hclsyntax.Block) *job.Migrate {
	m := job.DefaultMigrate()
	m.Pos = d.pos(b.TypeRange.Start)
	d.labels(b, 0)
	d.decodeBody(b.Body, "migrate", schema{attrs: attrFns{
		"max_parallel":     func(a *hclsyntax.Attribute) { d.integer(a, &m.MaxParallel) },
		"min_healthy_time": func(a *hclsyntax.Attribute) { d.duration(a, &m.MinHealthyTime) },
		"healthy_deadline": func(a *hclsyntax.Attribute) { d.duration(a, &m.HealthyDeadline) },
		"health_check": func(a *hclsyntax.Attribute) {
			d.str(a, &m.HealthCheck)
			if m.HealthCheck != job.HealthChecks && m.HealthCheck != job.HealthTaskStates {
				d.errorf(a.Expr.Range().Start, "health_check %q is not checks or task_states", m.HealthCheck)
			}
		},
	}})
	if m.MaxParallel < 0 {
		d.errs = append(d.errs, job.Errorf(m.Pos, "migrate max_parallel must not be negative"))
	}
	return m
}

// decodeUpdate decodes an update block over the default update policy.
func (d *decoder) decodeUpdate(b *hclsyntax.Block) *job.Update {
	u := job.DefaultUpdate()
	u.Pos = d.pos(b.TypeRange.Start)
	d.labels(b, 0)
	d.decodeBody(b.Body, "update", schema{attrs: attrFns{
		"max_parallel":      func(a *hclsyntax.Attribute) { d.integer(a, &u.MaxParallel) },
		"min_healthy_time":  func(a *hclsyntax.Attribute) { d.duration(a, &u.MinHealthyTime) },
		"healthy_deadline":  func(a *hclsyntax.Attribute) { d.duration(a, &u.HealthyDeadline) },
		"progress_deadline": func(a *hclsyntax.Attribute) { d.duration(a, &u.ProgressDeadline) },
		"auto_revert":       func(a *hclsyntax.Attribute) { d.boolean(a, &u.AutoRevert) },
		"auto_promote":      func(a *hclsyntax.Attribute) { d.boolean(a, &u.AutoPromote) },
		"anomaly_gate":      func(a *hclsyntax.Attribute) { d.boolean(a, &u.AnomalyGate) },
		"canary":            func(a *hclsyntax.Attribute) { d.integer(a, &u.Canary) },
		"stagger":           func(a *hclsyntax.Attribute) { d.duration(a, &u.Stagger) },
		"health_check": func(a *hclsyntax.Attribute) {
			d.str(a, &u.HealthCheck)
			switch u.HealthCheck {
			case job.HealthChecks, job.HealthTaskStates, job.HealthManual:
			default:
				d.errorf(a.Expr.Range().Start, "health_check %q is not checks, task_states or manual", u.HealthCheck)
			}
		},
	}})
	return u
}

// decodePeriodic reads a job's periodic block (Nomad's: cron or crons,
// prohibit_overlap, time_zone, enabled).
func (d *decoder) decodePeriodic(b *hclsyntax.Block) *job.Periodic {
	p := &job.Periodic{Pos: d.pos(b.TypeRange.Start), Enabled: true, SpecType: job.PeriodicSpecCron}
	d.labels(b, 0)
	d.decodeBody(b.Body, "periodic", schema{attrs: attrFns{
		"cron":             func(a *hclsyntax.Attribute) { d.str(a, &p.Spec) },
		"crons":            func(a *hclsyntax.Attribute) { d.strList(a, &p.Specs) },
		"prohibit_overlap": func(a *hclsyntax.Attribute) { d.boolean(a, &p.ProhibitOverlap) },
		"time_zone":        func(a *hclsyntax.Attribute) { d.str(a, &p.TimeZone) },
		"enabled":          func(a *hclsyntax.Attribute) { d.boolean(a, &p.Enabled) },
	}})
	return p
}
