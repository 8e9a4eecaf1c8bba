package agent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"slices"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/drainer"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/docker"
	"github.com/orbit/orbit/internal/driver/exec"
	"github.com/orbit/orbit/internal/driver/rawexec"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/identity"
	"github.com/orbit/orbit/internal/metrics"
	"github.com/orbit/orbit/internal/nomadapi"
	"github.com/orbit/orbit/internal/periodic"
	"github.com/orbit/orbit/internal/scheduler"
)

// startOrchestrator starts the scheduler (server role) and the node client
// (client role) with run, and prepares the Nomad-compatible API every agent
// serves, on its own -nomad-addr listener with listen when set.
func (a *Agent) startOrchestrator(ctx context.Context, run, listen func(string, func(context.Context) error)) error {
	var err error
	if a.cfg.Server {
		a.sched, err = scheduler.New(scheduler.Config{NodeName: a.cfg.NodeName,
			Logger: a.log.With("component", "scheduler"), Registerer: a.registry, Clock: a.clock, Anomalies: a.anomalies()}, a.store, a.view)
		if err != nil {
			return fmt.Errorf("scheduler: %w", err)
		}
		// The scheduler (with the deployment watcher and the garbage
		// collector) leads from one server at a time under an etcd
		// election, once the expected servers have joined.
		run("scheduler", a.afterBootstrap(a.sched.Run))
		// The drainer moves allocations off draining nodes, also from one
		// server at a time under its own election.
		dr, err := drainer.New(drainer.Config{NodeName: a.cfg.NodeName, Logger: a.log.With("component", "drainer"),
			Clock: a.clock}, a.store, a.view)
		if err != nil {
			return fmt.Errorf("drainer: %w", err)
		}
		run("drainer", a.afterBootstrap(dr.Run))
		// The periodic launcher launches periodic jobs' children, from one
		// server at a time under its own election.
		pl, err := periodic.New(periodic.Config{NodeName: a.cfg.NodeName, Logger: a.log.With("component", "periodic"),
			Clock: a.clock}, a.store, a.view)
		if err != nil {
			return fmt.Errorf("periodic: %w", err)
		}
		run("periodic", a.afterBootstrap(pl.Run))
	}
	if a.cfg.Client {
		drivers := []driver.Driver{rawexec.New(), exec.New(exec.Options{}), docker.New(docker.Options{})}
		deps := client.Deps{View: a.view, Store: a.store, Drivers: drivers}
		if a.identity != nil {
			deps.Identity = identitySigner{a.identity}
			if a.consulTokens != nil {
				deps.ConsulTokens, deps.TemplateAccess = a.consulTokens, templateAccess{a.auth}
			}
		}
		a.client, err = client.New(client.Config{NodeName: a.cfg.NodeName, NodeID: a.nodeID,
			DataDir: filepath.Join(a.dataDir, "client"), Address: a.cfg.BindAddr, Datacenter: a.cfg.Datacenter,
			HTTPAddr: a.httpAddr, HostNetworks: a.cfg.hostNetworks, StopOnShutdown: a.tempDir != "" || a.cfg.Dev, Version: Version,
			Logger: a.log, Registerer: a.registry, Clock: a.clock}, // the client names itself
			deps)
		if err != nil {
			return fmt.Errorf("client: %w", err)
		}
		a.tasks.set(a.client)
		run("client", a.client.Run)
	}
	nc := nomadapi.Config{NodeName: a.cfg.NodeName, Datacenter: a.cfg.Datacenter, Admitter: a.cfg.admitter,
		Logger: a.log.With("component", "nomadapi"), Clock: a.clock}
	if a.sched != nil {
		nc.Planner = a.sched
	}
	if a.client != nil {
		nc.Logs = a.client
	}
	if a.nomad, err = nomadapi.New(nc, a.store, a.view); err != nil {
		return fmt.Errorf("nomad api: %w", err)
	}
	if a.cfg.NomadAddr != "" {
		return a.serveNomad(ctx, listen)
	}
	return nil
}

// nomadPrefixes are the Nomad API paths served on the Consul API listener;
// none collides with Consul's.
var nomadPrefixes = []string{"/v1/jobs", "/v1/job/", "/v1/allocations", "/v1/allocation/", "/v1/evaluations",
	"/v1/evaluation/", "/v1/deployments", "/v1/deployment/", "/v1/nodes", "/v1/node/", "/v1/client/fs/"}

// nomadJobPrefixes are the further job paths served the same way.
var nomadJobPrefixes = []string{"/v1/validate/job"}

// nomadOperatorPrefixes are Nomad operator paths Consul does not have,
// served on the Consul API listener under the operator rule.
var nomadOperatorPrefixes = []string{"/v1/operator/scheduler/"}

func (a *Agent) nomadMounts() []api.Mount {
	if a.nomad == nil {
		return nil
	}
	var m []api.Mount
	for _, p := range slices.Concat(nomadPrefixes, nomadJobPrefixes) {
		m = append(m, api.Mount{Prefix: p, Resource: acl.Job, Handler: a.nomad})
	}
	for _, p := range nomadOperatorPrefixes {
		m = append(m, api.Mount{Prefix: p, Resource: acl.Operator, Handler: a.nomad})
	}
	return m
}

// serveNomad serves the Nomad API alone on -nomad-addr, where Nomad's own
// /v1/status/leader is answered too. Every request goes through the
// authorizer (job read or write), as on the API listener, except the
// public workload identity keys under /.well-known/ (servers).
func (a *Agent) serveNomad(ctx context.Context, run func(string, func(context.Context) error)) error {
	ln, err := net.Listen("tcp", a.cfg.NomadAddr)
	if err != nil {
		return fmt.Errorf("listen on -nomad-addr %s: %w", a.cfg.NomadAddr, err)
	}
	a.nomadAddr = ln.Addr()
	if ln, err = a.cfg.tls.listen(ln); err != nil {
		return err
	}
	log := a.log.With("component", "nomadapi")
	kit := httpkit.New(log, a.auth, a.clock)
	mux := http.NewServeMux()
	mux.Handle("/", kit.Guard(acl.Job, a.nomad))
	mux.Handle("/v1/operator/", kit.Guard(acl.Operator, a.nomad))
	mux.Handle("/v1/metrics", kit.Guard(acl.Agent, a.metrics.GoMetricsHandler(kit)))
	if a.identity != nil {
		mux.Handle(identity.WellKnownPrefix, a.identity.Handler())
	}
	var h http.Handler = mux
	run("nomad-api", func(ctx context.Context) error { return httpkit.Serve(ctx, "nomad-api", ln, h, log, a.audit) })
	return nil
}

// NomadAddr is the bound -nomad-addr listener (nil when off).
func (a *Agent) NomadAddr() net.Addr { return a.nomadAddr }

// anomalies is what the scheduler's anomaly gates read: the metrics
// feature's anomaly bits (nil without metrics).
func (a *Agent) anomalies() scheduler.Anomalies {
	if a.metrics == nil {
		return nil
	}
	return a.metrics
}

var _ scheduler.Anomalies = (*metrics.Server)(nil)

// NomadHandler is the agent's Nomad-compatible API (tests).
func (a *Agent) NomadHandler() *nomadapi.Handler { return a.nomad }
