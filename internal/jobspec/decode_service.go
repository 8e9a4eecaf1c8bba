package jobspec

import (
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/orbit/orbit/internal/job"
)

// decodeService decodes a service block; task is set for task-level services.
func (d *decoder) decodeService(b *hclsyntax.Block, task string) *job.Service {
	s := &job.Service{Pos: d.pos(b.TypeRange.Start), Task: task, Provider: job.ProviderConsul}
	d.labels(b, 0)
	seen := map[string]bool{}
	d.decodeBody(b.Body, "service", schema{
		attrs: attrFns{
			"name":         func(a *hclsyntax.Attribute) { d.strPos(a, &s.Name, &s.NamePos) },
			"port":         func(a *hclsyntax.Attribute) { d.strPos(a, &s.Port, &s.PortPos) },
			"tags":         func(a *hclsyntax.Attribute) { s.Tags, s.TagPos = d.strings(a) },
			"canary_tags":  func(a *hclsyntax.Attribute) { d.strList(a, &s.CanaryTags) },
			"provider":     func(a *hclsyntax.Attribute) { d.str(a, &s.Provider) },
			"address_mode": func(a *hclsyntax.Attribute) { d.str(a, &s.AddressMode) },
			"address":      func(a *hclsyntax.Attribute) { d.str(a, &s.Address) },
			"task":         func(a *hclsyntax.Attribute) { d.str(a, &s.Task) },
			"meta":         d.metaAttr(&s.Meta),
			"enable_tag_override": func(a *hclsyntax.Attribute) {
				var ignored bool
				d.boolean(a, &ignored) // tags are always the job's in orbit
			},
		},
		blocks: blockFns{
			"check": func(b *hclsyntax.Block) { s.Checks = append(s.Checks, d.decodeCheck(b)) },
			"identity": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					s.Identity = d.decodeIdentity(b)
				}
			},
			"meta":        d.metaBlock(&s.Meta, seen),
			"connect":     d.reject("Consul Connect is not supported; orbit's edge routes by tags"),
			"canary_meta": d.reject("canary meta is not supported"),
		},
	})
	return s
}

func (d *decoder) decodeCheck(b *hclsyntax.Block) *job.Check {
	c := &job.Check{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	seen := map[string]bool{}
	d.decodeBody(b.Body, "check", schema{
		attrs: attrFns{
			"name":                     func(a *hclsyntax.Attribute) { d.str(a, &c.Name) },
			"type":                     func(a *hclsyntax.Attribute) { d.strPos(a, &c.Type, &c.TypePos) },
			"port":                     func(a *hclsyntax.Attribute) { d.str(a, &c.Port) },
			"path":                     func(a *hclsyntax.Attribute) { d.str(a, &c.Path) },
			"method":                   func(a *hclsyntax.Attribute) { d.str(a, &c.Method) },
			"protocol":                 func(a *hclsyntax.Attribute) { d.str(a, &c.Protocol) },
			"body":                     func(a *hclsyntax.Attribute) { d.str(a, &c.Body) },
			"command":                  func(a *hclsyntax.Attribute) { d.str(a, &c.Command) },
			"args":                     func(a *hclsyntax.Attribute) { d.strList(a, &c.Args) },
			"task":                     func(a *hclsyntax.Attribute) { d.str(a, &c.Task) },
			"grpc_service":             func(a *hclsyntax.Attribute) { d.str(a, &c.GRPCService) },
			"grpc_use_tls":             func(a *hclsyntax.Attribute) { d.boolean(a, &c.GRPCUseTLS) },
			"tls_skip_verify":          func(a *hclsyntax.Attribute) { d.boolean(a, &c.TLSSkipVerify) },
			"tls_server_name":          func(a *hclsyntax.Attribute) { d.str(a, &c.TLSServerName) },
			"interval":                 func(a *hclsyntax.Attribute) { d.durPos(a, &c.Interval, &c.IntervalPos) },
			"timeout":                  func(a *hclsyntax.Attribute) { d.durPos(a, &c.Timeout, &c.TimeoutPos) },
			"initial_status":           func(a *hclsyntax.Attribute) { d.str(a, &c.InitialStatus) },
			"success_before_passing":   func(a *hclsyntax.Attribute) { d.integer(a, &c.SuccessBeforePassing) },
			"failures_before_critical": func(a *hclsyntax.Attribute) { d.integer(a, &c.FailuresBeforeCritical) },
			"failures_before_warning":  func(a *hclsyntax.Attribute) { d.integer(a, &c.FailuresBeforeWarning) },
			"on_update":                func(a *hclsyntax.Attribute) { d.str(a, &c.OnUpdate) },
			"expose":                   d.rejectAttr("expose is a Consul Connect feature, which orbit does not have"),
			"address_mode":             d.rejectAttr("checks use the service's address"),
		},
		blocks: blockFns{
			"header": func(b *hclsyntax.Block) {
				if d.once(b, seen) && d.labels(b, 0) {
					c.Header = d.decodeHeader(b)
				}
			},
			"check_restart": func(b *hclsyntax.Block) {
				if d.once(b, seen) {
					c.CheckRestart = d.decodeCheckRestart(b)
				}
			},
		},
	})
	return c
}

// decodeHeader decodes header { Name = ["value", ...] }.
func (d *decoder) decodeHeader(b *hclsyntax.Block) map[string][]string {
	h := map[string][]string{}
	for _, inner := range b.Body.Blocks {
		d.errorf(inner.TypeRange.Start, "unsupported block %q in header", inner.Type)
	}
	for name, a := range b.Body.Attributes {
		values, _ := d.strings(a)
		h[name] = values
	}
	return h
}

func (d *decoder) decodeCheckRestart(b *hclsyntax.Block) *job.CheckRestart {
	r := &job.CheckRestart{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "check_restart", schema{attrs: attrFns{
		"limit":           func(a *hclsyntax.Attribute) { d.integer(a, &r.Limit) },
		"grace":           func(a *hclsyntax.Attribute) { d.duration(a, &r.Grace) },
		"ignore_warnings": func(a *hclsyntax.Attribute) { d.boolean(a, &r.IgnoreWarnings) },
	}})
	return r
}

func (d *decoder) decodeIdentity(b *hclsyntax.Block) *job.Identity {
	id := &job.Identity{Pos: d.pos(b.TypeRange.Start)}
	d.labels(b, 0)
	d.decodeBody(b.Body, "identity", schema{attrs: attrFns{
		"name": func(a *hclsyntax.Attribute) { d.str(a, &id.Name) },
		"aud": func(a *hclsyntax.Attribute) {
			d.strList(a, &id.Aud)
			id.AudPos = d.apos(a)
		},
		"ttl":           func(a *hclsyntax.Attribute) { d.duration(a, &id.TTL) },
		"env":           func(a *hclsyntax.Attribute) { d.boolean(a, &id.Env) },
		"file":          func(a *hclsyntax.Attribute) { d.boolean(a, &id.File) },
		"change_mode":   func(a *hclsyntax.Attribute) { d.str(a, &id.ChangeMode) },
		"change_signal": func(a *hclsyntax.Attribute) { d.str(a, &id.ChangeSignal) },
	}})
	return id
}
