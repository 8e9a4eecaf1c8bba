package agent

import (
	"context"
	"fmt"
	"net/http"
	"net/http/pprof"
	"sort"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/aclapi"
	"github.com/orbit/orbit/internal/acme"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/dns"
	"github.com/orbit/orbit/internal/external"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/identity"
	"github.com/orbit/orbit/internal/metrics"
	"github.com/orbit/orbit/internal/proxy"
	"github.com/orbit/orbit/internal/routefeed"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/zoneapi"
)

// startFeatures starts the role-dependent features (edge load balancer,
// DNS) that sit beside the API and mount their handlers on it.
func (a *Agent) startFeatures(ctx context.Context, run func(string, func(context.Context) error)) error {
	if !a.cfg.Edge {
		return nil
	}
	eps, err := edgeEntryPoints(a.cfg.EntryPoints, a.cfg.EdgeCfg)
	if err != nil {
		return err
	}
	sort.Slice(eps, func(i, j int) bool { return eps[i].Name < eps[j].Name })
	resolvers, err := acmeResolvers(a.cfg.EdgeCfg)
	if err != nil {
		return err
	}
	pc := proxy.Config{EntryPoints: eps}
	bridge := &acmeBridge{}
	a.certs = bridge
	deps := proxy.Deps{Logger: a.log.With("component", "proxy"), Registry: a.registry, Clock: a.clock}
	if a.ca != nil {
		deps.CA = a.ca
	}
	if a.connect != nil {
		deps.Connect = a.connect.certs
	}
	if len(resolvers) > 0 { // else no acme-tls/1, no challenge path
		deps.Resolvers, deps.Challenges, deps.Certs = bridge, bridge, bridge
	}
	if ec := a.cfg.EdgeCfg; ec != nil {
		pc.PanicThreshold, pc.AccessLog, pc.Strategy = ec.PanicThreshold, ec.AccessLog, ec.Strategy
		for _, c := range ec.Certificates {
			pc.Certificates = append(pc.Certificates, proxy.CertFile{CertFile: c.CertFile, KeyFile: c.KeyFile})
		}
		if ec.AccessLog {
			deps.AccessLog = a.logOut
		}
	}
	a.proxy, err = proxy.New(pc, deps)
	if err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	run("edge", a.proxy.Run)
	sinks := []routefeed.Sink{a.proxy}
	if a.cfg.DNSAddr != "off" {
		dc, err := a.dnsConfig()
		if err != nil {
			return err
		}
		deps := dns.Deps{Catalog: a.view, Logger: a.log.With("component", "dns"), Registry: a.registry, Clock: a.clock}
		if a.cfg.aclEnabled && a.auth != nil {
			deps.Access = dnsAccess{a.auth}
		}
		a.dns, err = dns.New(dc, deps)
		if err != nil {
			return fmt.Errorf("dns: %w", err)
		}
		run("dns", a.dns.Run)
		sinks = append(sinks, a.dns)
		a.zones, err = zoneapi.New(zoneapi.Deps{View: a.view, Writer: a.store, DNS: a.dns,
			Logger: a.log.With("component", "zoneapi"), Clock: a.clock})
		if err != nil {
			return fmt.Errorf("zone api: %w", err)
		}
	}
	if len(resolvers) > 0 {
		ac := acme.Config{Resolvers: resolvers}
		ac.HTTPAddr, ac.TLSAddr = challengeAddrs(eps, a.proxy.Addrs())
		if a.dns != nil {
			ac.DNSServers = []string{dialable(a.DNSAddr())}
		}
		m, err := acme.New(ac, acme.Deps{Files: a.store.CertFiles(0), Zones: a.store,
			Logger: a.log.With("component", "acme"), Registry: a.registry, Clock: a.clock})
		if err != nil {
			return fmt.Errorf("certificate resolvers: %w", err)
		}
		bridge.m.Store(m)
		run("acme", m.Run)
		sinks = append(sinks, m)
	}
	// One feeder builds the route table and hands the same table to the
	// proxy and to DNS in one step.
	feed, err := routefeed.New(routefeed.Config{
		Routing: routing.Config{EntryPoints: pc.RoutingEntryPoints(), ExposedByDefault: a.cfg.ExposedByDefault},
	}, routefeed.Deps{Catalog: a.view, Sinks: sinks, Logger: a.log.With("component", "routefeed"), Registry: a.registry, Clock: a.clock})
	if err != nil {
		return fmt.Errorf("route feeder: %w", err)
	}
	run("routefeed", feed.Run)
	return nil
}

// startMetrics starts per-second collection (every role, -dev included).
func (a *Agent) startMetrics(run func(string, func(context.Context) error)) error {
	var err error
	var etcd prometheus.Gatherer
	if a.store != nil && a.store.Embedded() {
		// The embedded etcd registers its metrics in client_golang's
		// default registry. That registry's own Go and process
		// collectors duplicate the agent's and would be gathered every
		// second for nothing (a quarter of the collection's cost): they
		// go (idempotent; only etcd's /metrics served them).
		prometheus.DefaultRegisterer.Unregister(collectors.NewGoCollector())
		prometheus.DefaultRegisterer.Unregister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		etcd = metrics.Prefixed(prometheus.DefaultGatherer, "etcd_")
	}
	a.metrics, err = metrics.New(metrics.Config{Storage: a.cfg.metrics, ML: a.cfg.ml, Hostname: a.cfg.NodeName, Version: Version,
		Parent: a.cfg.Metrics.parent(a.cfg.Servers), ParentToken: a.cfg.agentToken()},
		metrics.Deps{Logger: a.log.With("component", "metrics"), Registry: a.registry, Clock: a.clock, Tasks: &a.tasks, Extra: etcd})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	run("metrics", a.metrics.Run)
	return nil
}

// clientTasks lists the client's running tasks for metrics; the client
// starts after metrics, so it is set then.
type clientTasks struct{ c atomic.Pointer[client.Client] }

func (t *clientTasks) set(c *client.Client) { t.c.Store(c) }

// RunningTasks implements metrics.TaskLister.
func (t *clientTasks) RunningTasks() []metrics.Task {
	c := t.c.Load()
	if c == nil {
		return nil
	}
	rts := c.RunningTasks()
	out := make([]metrics.Task, len(rts))
	for i, rt := range rts {
		out[i] = metrics.Task{AllocID: rt.AllocID, Job: rt.Job, Group: rt.Group, Task: rt.Task,
			Driver: rt.Handle.Driver, PID: rt.Handle.PID, ContainerID: rt.Handle.ContainerID}
	}
	return out
}

var _ metrics.TaskLister = (*clientTasks)(nil)

// alarmSource is the alert engine for Netdata's alarms API (nil when the
// alerts did not start).
func (a *Agent) alarmSource() metrics.AlarmSource {
	if a.alerts == nil {
		return nil
	}
	return a.alerts
}

// mounts are the handlers other features serve on the API listener.
func (a *Agent) mounts() ([]api.Mount, error) {
	kit := httpkit.New(a.log.With("component", "metrics"), a.auth, a.clock)
	gm := a.metrics.GoMetricsHandler(kit)
	acls, err := a.aclHandler()
	if err != nil {
		return nil, err
	}
	nd := a.metrics.NetdataHandler(kit, a.alarmSource())
	m := []api.Mount{
		// Children stream here (POST writes, GET reads the agent resource).
		{Prefix: metrics.StreamPath, Resource: acl.Agent, Handler: a.metrics.StreamHandler(kit)},
		{Prefix: "/v1/agent/metrics", Resource: acl.Agent, Handler: gm},
		{Prefix: "/v1/metrics", Resource: acl.Agent, Handler: gm},
		{Prefix: "/metrics", Resource: acl.Agent, Handler: a.metrics.PrometheusHandler()},
		{Prefix: metrics.NetdataPrefix, Resource: acl.Agent, Handler: nd},
		{Prefix: metrics.HostPrefix, Resource: acl.Agent, Handler: a.metrics.HostHandler(kit, nd)},
		// Each ACL endpoint asks acl:read or acl:write itself (bootstrap
		// and token/self need no permission).
		{Prefix: aclapi.Prefix, Public: true, Handler: acls},
	}
	m = append(m, a.operatorMounts()...)
	m = append(m, api.Mount{Prefix: external.ImportPath, Resource: acl.Operator,
		Handler: external.NewImportHandler(a.store, a.view, a.log.With("component", "import"), a.clock)})
	m = append(m, a.connectMounts()...)
	if um, err := a.uiMount(); err != nil {
		return nil, err
	} else {
		m = append(m, um)
	}
	if a.cfg.Server && a.ca != nil {
		m = append(m, api.Mount{Prefix: nodeCertPath, Public: true, Handler: a.nodeCertHandler()})
	}
	if a.cfg.Server && a.store.Embedded() {
		// The join asks operator:write or a join token itself.
		m = append(m, api.Mount{Prefix: storeJoinPath, Public: true, Handler: a.storeJoinHandler()})
	}
	if a.identity != nil {
		m = append(m, api.Mount{Prefix: identity.WellKnownPrefix, Public: true, Handler: a.identity.Handler()})
	}
	if a.proxy != nil {
		m = append(m, api.Mount{Prefix: "/v1/edge/", Resource: acl.Operator, Handler: a.proxy.API()})
	}
	if a.zones != nil {
		m = append(m, api.Mount{Prefix: "/v1/dns/", Resource: acl.DNS, Handler: a.zones})
	}
	if a.cfg.EnableDebug {
		m = append(m, api.Mount{Prefix: "/debug/pprof/", Resource: acl.Operator, Handler: pprofHandler()})
	}
	return append(m, a.nomadMounts()...), nil
}

// pprofHandler serves net/http/pprof without touching http.DefaultServeMux.
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

func (a *Agent) dnsConfig() (dns.Config, error) {
	c := dns.Config{Addr: a.cfg.DNSAddr, Datacenter: a.cfg.Datacenter}
	d := a.cfg.DNS
	if d == nil {
		return c, nil
	}
	c.Domain, c.AltDomains, c.AllowWarning, c.Upstreams = d.Domain, d.AltDomains, d.AllowWarning, d.Upstreams
	c.NoForward, c.AllowTransfer = d.NoForward, d.AllowTransfer
	var err error
	for _, t := range []struct {
		name, v string
		dst     *time.Duration
	}{{"service_ttl", d.ServiceTTL, &c.ServiceTTL}, {"node_ttl", d.NodeTTL, &c.NodeTTL},
		{"router_ttl", d.RouterTTL, &c.RouterTTL}, {"negative_ttl", d.NegativeTTL, &c.NegativeTTL}} {
		if *t.dst, err = parseTTL(t.name, t.v); err != nil {
			return c, err
		}
	}
	return c, nil
}
