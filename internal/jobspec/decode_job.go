package jobspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orbit/orbit/internal/job"
)

type (
	attrFns  = map[string]func(*hclsyntax.Attribute)
	blockFns = map[string]func(*hclsyntax.Block)
)

func (d *decoder) decodeJob(b *hclsyntax.Block) *job.Job {
	j := &job.Job{Pos: d.pos(b.TypeRange.Start)}
	if d.labels(b, 1) {
		j.ID, j.IDPos = b.Labels[0], d.pos(b.LabelRanges[0].Start)
	}
	seen := map[string]bool{}
	var jobMigrate *job.Migrate // the job's migrate block: the default of its groups
	in := fmt.Sprintf("job %q", j.ID)
	d.decodeBody(b.Body, in, schema{
		attrs: attrFns{
			"name": func(a *hclsyntax.Attribute) { d.str(a, &j.Name) },
			"type": func(a *hclsyntax.Attribute) {
				d.strPos(a, &j.Type, &j.TypePos)
				d.jobType = j.Type
			},
			"namespace":   func(a *hclsyntax.Attribute) { d.str(a, &j.Namespace) },
			"region":      func(a *hclsyntax.Attribute) { d.str(a, &j.Region) },
			"priority":    func(a *hclsyntax.Attribute) { d.intPos(a, &j.Priority, &j.PriorityPos) },
			"datacenters": func(a *hclsyntax.Attribute) { d.strList(a, &j.Datacenters) },
			"all_at_once": func(a *hclsyntax.Attribute) { d.boolean(a, &j.AllAtOnce) },
			"meta":        d.metaAttr(&j.Meta),
			"node_pool":   d.rejectAttr("node pools are not supported; use a constraint"),
		},
		blocks: blockFns{
			"group":      func(b *hclsyntax.Block) { j.Groups = append(j.Groups, d.decodeGroup(b)) },
			"meta":       d.metaBlock(&j.Meta, seen),
			"constraint": func(b *hclsyntax.Block) { j.Constraints = append(j.Constraints, d.decodeConstraint(b)) },
			"affinity":   func(b *hclsyntax.Block) { j.Affinities = append(j.Affinities, d.decodeAffinity(b)) },
			"spread":     func(b *hclsyntax.Block) { j.Spreads = append(j.Spreads, d.decodeSpread(b)) },
			"update": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					j.Update = d.decodeUpdate(b)
				}
			},
			"migrate": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					jobMigrate = d.decodeMigrate(b)
				}
			},
			"reschedule": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					j.Reschedule = d.decodeReschedule(b)
				}
			},
			"periodic": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					j.Periodic = d.decodePeriodic(b)
				}
			},
			"parameterized": d.reject("parameterized jobs are not supported yet"),
			"multiregion":   d.reject("orbit runs one region"),
			"vault":         d.reject("orbit has no Vault integration; render secrets from orbit's KV with a template"),
			"consul":        d.reject("orbit is the service catalog; no consul block is needed"),
			"dynamic":       d.reject("dynamic blocks are not supported; write the blocks out"),
			"ui":            d.reject("job UI metadata is not supported"),
		},
	})
	for _, g := range j.Groups {
		if g.Migrate == nil && jobMigrate != nil {
			m := *jobMigrate
			g.Migrate = &m
		}
	}
	return j
}

func (d *decoder) decodeGroup(b *hclsyntax.Block) *job.Group {
	g := &job.Group{Pos: d.pos(b.TypeRange.Start), Count: 1}
	if d.labels(b, 1) {
		g.Name = b.Labels[0]
	}
	seen := map[string]bool{}
	d.decodeBody(b.Body, fmt.Sprintf("group %q", g.Name), schema{
		attrs: attrFns{
			"count":          func(a *hclsyntax.Attribute) { d.intPos(a, &g.Count, &g.CountPos) },
			"shutdown_delay": func(a *hclsyntax.Attribute) { d.duration(a, &g.ShutdownDelay) },
			"meta":           d.metaAttr(&g.Meta),
		},
		blocks: blockFns{
			"task":    func(b *hclsyntax.Block) { g.Tasks = append(g.Tasks, d.decodeTask(b)) },
			"service": func(b *hclsyntax.Block) { g.Services = append(g.Services, d.decodeService(b, "")) },
			"network": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.Network = d.decodeNetwork(b)
				}
			},
			"volume":     func(b *hclsyntax.Block) { g.Volumes = append(g.Volumes, d.decodeVolume(b)) },
			"meta":       d.metaBlock(&g.Meta, seen),
			"constraint": func(b *hclsyntax.Block) { g.Constraints = append(g.Constraints, d.decodeConstraint(b)) },
			"affinity":   func(b *hclsyntax.Block) { g.Affinities = append(g.Affinities, d.decodeAffinity(b)) },
			"spread":     func(b *hclsyntax.Block) { g.Spreads = append(g.Spreads, d.decodeSpread(b)) },
			"restart": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.Restart = d.decodeRestart(b)
				}
			},
			"reschedule": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.Reschedule = d.decodeReschedule(b)
				}
			},
			"update": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.Update = d.decodeUpdate(b)
				}
			},
			"migrate": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.Migrate = d.decodeMigrate(b)
				}
			},
			"active_passive": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					g.ActivePassive = d.decodeActivePassive(b)
				}
			},
			"ephemeral_disk": d.reject("orbit does not manage ephemeral disks; the allocation directory is a plain directory"),
			"scaling":        d.reject("autoscaling is not supported; set count"),
			"consul":         d.reject("orbit is the service catalog; no consul block is needed"),
			"vault":          d.reject("orbit has no Vault integration; render secrets from orbit's KV with a template"),
			"disconnect":     d.reject("disconnect policies are not supported"),
			"dynamic":        d.reject("dynamic blocks are not supported; write the blocks out"),
		},
	})
	return g
}

func (d *decoder) decodeActivePassive(b *hclsyntax.Block) *job.ActivePassive {
	ap := &job.ActivePassive{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "active_passive", schema{attrs: attrFns{
		"lock": func(a *hclsyntax.Attribute) {
			d.str(a, &ap.Lock)
			if strings.HasPrefix(ap.Lock, "/") || strings.HasSuffix(ap.Lock, "/") {
				d.errorf(a.Expr.Range().Start, "active_passive lock %q must not begin or end with /", ap.Lock)
			}
		},
		"ttl": func(a *hclsyntax.Attribute) {
			d.duration(a, &ap.TTL)
			if ap.TTL != 0 && (ap.TTL < job.ActivePassiveTTLMin || ap.TTL > job.ActivePassiveTTLMax) {
				d.errorf(a.Expr.Range().Start, "active_passive ttl %v must be between %v and %v", ap.TTL, job.ActivePassiveTTLMin, job.ActivePassiveTTLMax)
			}
		},
	}})
	return ap
}

func (d *decoder) decodeNetwork(b *hclsyntax.Block) *job.Network {
	n := &job.Network{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "network", schema{
		attrs: attrFns{"mode": func(a *hclsyntax.Attribute) { d.str(a, &n.Mode) }},
		blocks: blockFns{
			"port": func(b *hclsyntax.Block) { n.Ports = append(n.Ports, d.decodePort(b)) },
			"dns":  d.reject("per-group DNS settings are not supported"),
		},
	})
	return n
}

func (d *decoder) decodePort(b *hclsyntax.Block) *job.Port {
	p := &job.Port{Pos: d.pos(b.TypeRange.Start)}
	if d.labels(b, 1) {
		p.Label = b.Labels[0]
	}
	d.decodeBody(b.Body, fmt.Sprintf("port %q", p.Label), schema{attrs: attrFns{
		"static":       func(a *hclsyntax.Attribute) { d.intPos(a, &p.Static, &p.StaticPos) },
		"to":           func(a *hclsyntax.Attribute) { d.intPos(a, &p.To, &p.ToPos) },
		"host_network": func(a *hclsyntax.Attribute) { d.str(a, &p.HostNetwork) },
	}})
	return p
}

func (d *decoder) decodeVolume(b *hclsyntax.Block) *job.Volume {
	v := &job.Volume{Pos: d.pos(b.TypeRange.Start), Type: "host"}
	if d.labels(b, 1) {
		v.Name = b.Labels[0]
	}
	d.decodeBody(b.Body, fmt.Sprintf("volume %q", v.Name), schema{attrs: attrFns{
		"type": func(a *hclsyntax.Attribute) {
			d.str(a, &v.Type)
			if v.Type != "host" {
				d.errorf(a.Expr.Range().Start, "volume type %q is not supported: only host volumes", v.Type)
			}
		},
		"source":    func(a *hclsyntax.Attribute) { d.str(a, &v.Source) },
		"read_only": func(a *hclsyntax.Attribute) { d.boolean(a, &v.ReadOnly) },
	}})
	return v
}

// metaBlock decodes meta { key = "value" }.
func (d *decoder) metaBlock(m *job.Meta, seen map[string]bool) func(*hclsyntax.Block) {
	return func(b *hclsyntax.Block) {
		if !d.once(b, seen) || !d.labels(b, 0) {
			return
		}
		m.Pos = d.pos(b.TypeRange.Start)
		d.stringAttrs(b, "meta", m.Set)
	}
}

// metaAttr decodes meta = { "key" = "value" }, which allows any key.
func (d *decoder) metaAttr(m *job.Meta) func(*hclsyntax.Attribute) {
	return func(a *hclsyntax.Attribute) {
		m.Pos = d.apos(a)
		d.stringMap(a, m.Set)
	}
}

// stringAttrs decodes a block whose attributes are free string keys.
func (d *decoder) stringAttrs(b *hclsyntax.Block, in string, set func(k, v string, pos job.Pos)) {
	for _, inner := range b.Body.Blocks {
		d.errorf(inner.TypeRange.Start, "unsupported block %q in %s", inner.Type, in)
	}
	for _, a := range b.Body.Attributes {
		var s string
		d.str(a, &s)
		set(a.Name, s, d.apos(a))
	}
}
