package routing

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
)

// serviceShared is the part of a service's definition that all its
// servers share; port and scheme belong to each server.
type serviceShared struct {
	PassHostHeader *bool
	Sticky         *StickyCookie
	Strategy       string
}

// builder accumulates the instances' definitions, then resolves them.
type builder struct {
	cfg         Config
	eps         map[string]EntryPoint
	p           *problems
	routers     map[string][]contribution[*routerSpec]
	services    map[string][]contribution[serviceShared]
	middlewares map[string][]contribution[*middlewareSpec]
	servers     map[string][]*Server
}

// Build turns every service's instances into a route table. It never
// fails: problems (invalid tags, conflicts, dangling references, an invalid
// Config) disable the elements concerned and are listed by Table.Errors,
// and everything else is routed.
//
// Following Traefik's Consul Catalog provider, each instance is read on its
// own: an instance is skipped unless traefik.enable=true or
// Config.ExposedByDefault (and no traefik.enable=false); an instance with no
// service tag defines the service Normalize(name); one with no router tag
// defines the router Normalize(name); a router with no rule gets
// Config.DefaultRule and one with no service gets the instance's only
// service. Instances' definitions are then merged (see mergeElement), and
// every instance that defines a service is one of its servers.
func Build(cfg Config, services []ServiceInstances) *Table {
	b := &builder{
		cfg:         cfg,
		eps:         map[string]EntryPoint{},
		p:           newProblems(),
		routers:     map[string][]contribution[*routerSpec]{},
		services:    map[string][]contribution[serviceShared]{},
		middlewares: map[string][]contribution[*middlewareSpec]{},
		servers:     map[string][]*Server{},
	}
	if err := cfg.Validate(); err != nil {
		b.p.loose(ErrInvalidTag, "%v", err)
	}
	for _, ep := range cfg.EntryPoints {
		if _, dup := b.eps[ep.Name]; !dup {
			b.eps[ep.Name] = ep
		}
	}
	svcs := slices.Clone(services)
	slices.SortStableFunc(svcs, func(a, c ServiceInstances) int { return cmp.Compare(a.Name, c.Name) })
	for _, s := range svcs {
		insts := slices.Clone(s.Instances)
		slices.SortStableFunc(insts, func(a, c Instance) int { return cmp.Compare(a.ID, c.ID) })
		for _, inst := range insts {
			b.addInstance(s.Name, inst)
		}
	}
	return b.table()
}

// addInstance reads one instance's tags, applies the provider defaults and
// records its contributions.
func (b *builder) addInstance(svc string, inst Instance) {
	ts := parseTags(inst.Tags)
	for _, msg := range ts.loose {
		b.p.loose(ErrInvalidTag, "service %q: %s", svc, msg)
	}
	enabled := b.cfg.ExposedByDefault
	if ts.enable != nil {
		enabled = *ts.enable
	}
	if !enabled {
		return
	}
	b.applyDefaults(ts, svc)
	for k, msgs := range ts.errs {
		for _, msg := range msgs {
			b.p.fail(k, ErrInvalidTag, fmt.Sprintf("service %q: %s", svc, msg))
		}
	}
	passing := inst.Status == StatusPassing
	for _, name := range slices.Sorted(maps.Keys(ts.routers)) {
		b.routers[name] = append(b.routers[name], contribution[*routerSpec]{ts.routers[name], svc, inst.ID, passing})
	}
	for _, name := range slices.Sorted(maps.Keys(ts.middlewares)) {
		b.middlewares[name] = append(b.middlewares[name], contribution[*middlewareSpec]{ts.middlewares[name], svc, inst.ID, passing})
	}
	for _, name := range slices.Sorted(maps.Keys(ts.services)) {
		spec := ts.services[name]
		shared := serviceShared{PassHostHeader: spec.PassHostHeader, Sticky: spec.Sticky, Strategy: spec.Strategy}
		b.services[name] = append(b.services[name], contribution[serviceShared]{shared, svc, inst.ID, passing})
		b.addServer(name, svc, inst, spec, ts.connect != nil && *ts.connect)
	}
}

// addServer makes the instance a server of service name; a Connect
// server is reached over https with the edge's Connect certificate, as
// Traefik reaches a service tagged traefik.consulcatalog.connect=true.
func (b *builder) addServer(name, svc string, inst Instance, spec *serviceSpec, connect bool) {
	port := inst.Port
	if spec.Port != 0 {
		port = spec.Port
	}
	if port <= 0 || port > 65535 {
		b.p.warn(elemKey{kindService, name}, ErrInvalidTag, fmt.Sprintf(
			"instance %q of service %q has no usable port (%d) and no loadbalancer.server.port tag: not a server", inst.ID, svc, inst.Port))
		return
	}
	scheme := spec.Scheme
	if scheme == "" {
		scheme = "http"
	}
	if connect {
		scheme = "https"
	}
	weight := max(inst.Weight, 1)
	b.servers[name] = append(b.servers[name], &Server{
		InstanceID: inst.ID, Node: inst.Node, Service: svc, Address: inst.Address,
		Port: port, Scheme: scheme, Weight: weight, Status: inst.Status, Connect: connect,
	})
}

// applyDefaults fills in what Traefik's Consul Catalog provider fills in
// for one instance: the default service, router, rule and router service,
// and middleware defaults.
func (b *builder) applyDefaults(ts *tagSet, svc string) {
	name := Normalize(svc)
	if name == "" {
		name = svc
	}
	if len(ts.services) == 0 {
		ts.services[name] = &serviceSpec{}
	}
	if len(ts.routers) == 0 {
		if len(ts.services) > 1 {
			b.p.loose(ErrInvalidTag, "service %q: no router tag and several services defined: cannot create the default router", svc)
		} else {
			ts.routers[name] = &routerSpec{}
		}
	}
	for rname, r := range ts.routers {
		k := elemKey{kindRouter, rname}
		if r.Rule == "" {
			rule, err := b.cfg.defaultRuleFor(svc)
			if err != nil {
				ts.errs[k] = append(ts.errs[k], err.Error())
			}
			r.Rule = rule
		}
		if r.Service == "" {
			if len(ts.services) == 1 {
				r.Service = slices.Collect(maps.Keys(ts.services))[0]
			} else {
				ts.errs[k] = append(ts.errs[k], fmt.Sprintf("no service tag, and the instance defines %d services", len(ts.services)))
			}
		}
	}
	for mname, m := range ts.middlewares {
		if err := m.Config.finish(); err != nil {
			k := elemKey{kindMiddleware, mname}
			ts.errs[k] = append(ts.errs[k], err.Error())
		}
	}
}
