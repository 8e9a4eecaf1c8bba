package jobspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orbit/orbit/internal/job"
)

const noArtifacts = "orbit does not download artifacts; bake files into the image or render them with a template"

func (d *decoder) decodeTask(b *hclsyntax.Block) *job.Task {
	t := &job.Task{Pos: d.pos(b.TypeRange.Start)}
	if d.labels(b, 1) {
		t.Name = b.Labels[0]
	}
	seen := map[string]bool{} // blocks allowed once; attributes are decoded first
	d.decodeBody(b.Body, fmt.Sprintf("task %q", t.Name), schema{
		attrs: attrFns{
			"driver":         func(a *hclsyntax.Attribute) { d.strPos(a, &t.Driver, &t.DriverPos) },
			"user":           func(a *hclsyntax.Attribute) { d.str(a, &t.User) },
			"leader":         func(a *hclsyntax.Attribute) { d.boolean(a, &t.Leader) },
			"kill_timeout":   func(a *hclsyntax.Attribute) { d.duration(a, &t.KillTimeout) },
			"kill_signal":    func(a *hclsyntax.Attribute) { d.str(a, &t.KillSignal) },
			"shutdown_delay": func(a *hclsyntax.Attribute) { d.duration(a, &t.ShutdownDelay) },
			"meta":           d.metaAttr(&t.Meta),
			"env": func(a *hclsyntax.Attribute) {
				t.Env.Pos = d.apos(a)
				d.stringMap(a, t.Env.Set)
			},
			"config": func(a *hclsyntax.Attribute) {
				seen["config"] = true
				if v, ok := d.eval(a.Expr); ok {
					if t.Config = d.value(v, a.Expr, d.apos(a)); t.Config.Kind != job.KindMap {
						d.errorf(a.Expr.Range().Start, "config must be a block or an object, config { ... }")
					}
				}
			},
		},
		blocks: d.taskBlocks(t, seen),
	})
	return t
}

// taskBlocks is the block schema of a task.
func (d *decoder) taskBlocks(t *job.Task, seen map[string]bool) blockFns {
	return blockFns{
		"config": func(b *hclsyntax.Block) {
			if d.once(b, seen) && d.labels(b, 0) {
				t.Config = d.configBody(b)
			}
		},
		"env": func(b *hclsyntax.Block) {
			if d.once(b, seen) && d.labels(b, 0) {
				t.Env.Pos = d.pos(b.TypeRange.Start)
				d.stringAttrs(b, "env", t.Env.Set)
			}
		},
		"meta": d.metaBlock(&t.Meta, seen),
		"resources": func(b *hclsyntax.Block) {
			if d.once(b, seen) {
				t.Resources = d.decodeResources(b)
			}
		},
		"template":     func(b *hclsyntax.Block) { t.Templates = append(t.Templates, d.decodeTemplate(b)) },
		"service":      func(b *hclsyntax.Block) { t.Services = append(t.Services, d.decodeService(b, t.Name)) },
		"volume_mount": func(b *hclsyntax.Block) { t.VolumeMounts = append(t.VolumeMounts, d.decodeVolumeMount(b)) },
		"identity":     func(b *hclsyntax.Block) { t.Identities = append(t.Identities, d.decodeIdentity(b)) },
		"constraint":   func(b *hclsyntax.Block) { t.Constraints = append(t.Constraints, d.decodeConstraint(b)) },
		"affinity":     func(b *hclsyntax.Block) { t.Affinities = append(t.Affinities, d.decodeAffinity(b)) },
		"restart": func(b *hclsyntax.Block) {
			if d.once(b, seen) {
				t.Restart = d.decodeRestart(b)
			}
		},
		"lifecycle": func(b *hclsyntax.Block) {
			if d.once(b, seen) {
				t.Lifecycle = d.decodeLifecycle(b)
			}
		},
		"logs": func(b *hclsyntax.Block) {
			if d.once(b, seen) {
				t.Logs = d.decodeLogs(b)
			}
		},
		"artifact":         d.reject(noArtifacts),
		"vault":            d.reject("orbit has no Vault integration; render secrets from orbit's KV with a template"),
		"consul":           d.reject("orbit is the service catalog; no consul block is needed"),
		"dispatch_payload": d.reject("parameterized jobs are not supported yet"),
		"csi_plugin":       d.reject("CSI plugins are not supported; use host volumes"),
		"scaling":          d.reject("autoscaling is not supported"),
		"dynamic":          d.reject("dynamic blocks are not supported; write the blocks out"),
	}
}

// configBody decodes a driver's free-form config block into a map value.
// Nested blocks become lists of maps.
func (d *decoder) configBody(b *hclsyntax.Block) job.Value {
	out := job.Value{Pos: d.pos(b.TypeRange.Start), Kind: job.KindMap, Map: map[string]job.Value{}}
	for name, a := range b.Body.Attributes {
		if v, ok := d.eval(a.Expr); ok {
			out.Map[name] = d.value(v, a.Expr, d.expos(a.Expr))
		}
	}
	for _, inner := range b.Body.Blocks {
		if len(inner.Labels) > 0 {
			d.errorf(inner.TypeRange.Start, "labelled block %q in config is not supported: write %s { ... }", inner.Type, inner.Type)
			continue
		}
		if _, isAttr := b.Body.Attributes[inner.Type]; isAttr {
			d.errorf(inner.TypeRange.Start, "%q is both an attribute and a block in config", inner.Type)
			continue
		}
		list, ok := out.Map[inner.Type]
		if !ok {
			list = job.Value{Pos: d.pos(inner.TypeRange.Start), Kind: job.KindList}
		}
		list.List = append(list.List, d.configBody(inner))
		out.Map[inner.Type] = list
	}
	return out
}

func (d *decoder) decodeResources(b *hclsyntax.Block) *job.Resources {
	r := &job.Resources{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "resources", schema{
		attrs: attrFns{
			"cpu":        func(a *hclsyntax.Attribute) { d.intPos(a, &r.CPU, &r.CPUPos) },
			"cores":      func(a *hclsyntax.Attribute) { d.integer(a, &r.Cores) },
			"memory":     func(a *hclsyntax.Attribute) { d.intPos(a, &r.MemoryMB, &r.MemoryPos) },
			"memory_max": func(a *hclsyntax.Attribute) { d.integer(a, &r.MemoryMaxMB) },
			"disk":       func(a *hclsyntax.Attribute) { d.integer(a, &r.DiskMB) },
		},
		blocks: blockFns{
			"network": d.reject("task-level networks are gone: put network { port \"x\" {} } in the group"),
			"device":  d.reject("devices are not supported"),
			"numa":    d.reject("NUMA placement is not supported"),
		},
	})
	return r
}

func (d *decoder) decodeTemplate(b *hclsyntax.Block) *job.Template {
	t := &job.Template{Pos: d.pos(b.TypeRange.Start), ChangeMode: job.ChangeModeRestart}
	d.labels(b, 0)
	d.decodeBody(b.Body, "template", schema{
		attrs: attrFns{
			"data": func(a *hclsyntax.Attribute) {
				d.str(a, &t.Data)
				t.DataPos = d.expos(a.Expr)
				t.DataLines = d.dataLines(a.Expr, t.Data)
			},
			"source":          func(a *hclsyntax.Attribute) { d.str(a, &t.Source) },
			"destination":     func(a *hclsyntax.Attribute) { d.str(a, &t.Destination) },
			"env":             func(a *hclsyntax.Attribute) { d.boolean(a, &t.Env) },
			"change_signal":   func(a *hclsyntax.Attribute) { d.str(a, &t.ChangeSignal) },
			"perms":           func(a *hclsyntax.Attribute) { d.str(a, &t.Perms) },
			"left_delimiter":  func(a *hclsyntax.Attribute) { d.str(a, &t.LeftDelim) },
			"right_delimiter": func(a *hclsyntax.Attribute) { d.str(a, &t.RightDelim) },
			"splay":           func(a *hclsyntax.Attribute) { d.duration(a, &t.Splay) },
			"change_mode": func(a *hclsyntax.Attribute) {
				d.str(a, &t.ChangeMode)
				switch t.ChangeMode {
				case job.ChangeModeRestart, job.ChangeModeSignal, job.ChangeModeNoop:
				default:
					d.errorf(a.Expr.Range().Start, "change_mode %q is not restart, signal or noop", t.ChangeMode)
				}
			},
		},
		blocks: blockFns{
			"wait":          d.reject("template wait bounds are not supported"),
			"change_script": d.reject("change scripts are not supported; use change_mode signal or restart"),
		},
	})
	return t
}

// dataLines finds where each line of a template's data starts in the file,
// so that a finding inside the rendered text points at the right line. It
// knows heredocs (<<EOT and the indent-stripping <<-EOT) and quoted strings.
func (d *decoder) dataLines(expr hclsyntax.Expression, data string) []job.Pos {
	rng := expr.Range()
	text := string(rng.SliceBytes(d.src))
	lines := strings.Split(data, "\n")
	out := make([]job.Pos, len(lines))
	switch {
	case strings.HasPrefix(text, "<<"):
		indented := strings.HasPrefix(text, "<<-")
		for i, l := range lines {
			n := rng.Start.Line + 1 + i
			col := 1
			if indented {
				col += leadingSpace(d.line(n)) - leadingSpace(l)
			}
			out[i] = job.Pos{File: d.file, Line: n, Column: col}
		}
	case strings.HasPrefix(text, `"`):
		for i := range lines {
			out[i] = job.Pos{File: d.file, Line: rng.Start.Line, Column: rng.Start.Column + 1}
		}
	default:
		return nil
	}
	return out
}

func leadingSpace(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }

func (d *decoder) decodeVolumeMount(b *hclsyntax.Block) *job.VolumeMount {
	m := &job.VolumeMount{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "volume_mount", schema{attrs: attrFns{
		"volume":      func(a *hclsyntax.Attribute) { d.str(a, &m.Volume) },
		"destination": func(a *hclsyntax.Attribute) { d.str(a, &m.Destination) },
		"read_only":   func(a *hclsyntax.Attribute) { d.boolean(a, &m.ReadOnly) },
	}})
	return m
}

func (d *decoder) decodeLifecycle(b *hclsyntax.Block) *job.Lifecycle {
	l := &job.Lifecycle{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "lifecycle", schema{attrs: attrFns{
		"hook": func(a *hclsyntax.Attribute) {
			d.str(a, &l.Hook)
			switch l.Hook {
			case "prestart", "poststart", "poststop":
			default:
				d.errorf(a.Expr.Range().Start, "lifecycle hook %q is not prestart, poststart or poststop", l.Hook)
			}
		},
		"sidecar": func(a *hclsyntax.Attribute) { d.boolean(a, &l.Sidecar) },
	}})
	return l
}

func (d *decoder) decodeLogs(b *hclsyntax.Block) *job.Logs {
	l := job.DefaultLogs()
	l.Pos = d.pos(b.TypeRange.Start)
	d.labels(b, 0)
	d.decodeBody(b.Body, "logs", schema{attrs: attrFns{
		"max_files":     func(a *hclsyntax.Attribute) { d.integer(a, &l.MaxFiles) },
		"max_file_size": func(a *hclsyntax.Attribute) { d.integer(a, &l.MaxFileSizeMB) },
		"disabled":      d.rejectAttr("task logs cannot be disabled"),
	}})
	return l
}
