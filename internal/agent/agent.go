package agent

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/aclresolve"
	"github.com/orbit/orbit/internal/alert"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/dns"
	"github.com/orbit/orbit/internal/health"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/identity"
	"github.com/orbit/orbit/internal/metrics"
	"github.com/orbit/orbit/internal/nomadapi"
	"github.com/orbit/orbit/internal/operator"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/proxy"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/zoneapi"
)

// Version is orbit's version, reported by the API and the CLI.
const Version = "0.1.0"

// Agent is a running orbit agent.
type Agent struct {
	cfg      *Config
	log      *slog.Logger
	registry *prometheus.Registry
	store    *store.Store
	view     *view.View
	health   *health.Manager
	api      *api.Server
	ca       *pki.CA
	connect  *connectState  // the Connect CA endpoints and service certificates
	sealKey  *store.SealKey // the servers' key for secrets at rest (servers)
	nodeCert *pki.NodeCert  // this node's certificate from the internal CA
	proxy    *proxy.Server
	dns      *dns.Server
	zones    *zoneapi.Handler // the zone API, with DNS
	identity *identity.Signer // the workload identity signer (servers)
	// consulTokens derives and revokes workloads' Consul tokens (servers, ACLs on).
	consulTokens *consulTokens
	resolver     *aclresolve.Resolver
	// auth decides every request: the configured Authorizer, the ACL
	// system's enforcer, or nil (allow all) with ACLs off.
	auth     acl.Authorizer
	alerts   *alert.Engine    // this node's alerts, and the cluster's while it leads
	certs    proxy.CertLister // the edge's ACME certificates (edge role)
	metrics  *metrics.Server  // per-second metrics and Netdata's API
	tasks    clientTasks      // the client's tasks, for metrics (set once the client starts)
	tempDir  string
	dataDir  string
	nodeID   string
	httpAddr string

	sched     *scheduler.Server
	client    *client.Client
	nomad     *nomadapi.Handler
	nomadAddr net.Addr

	// audit records every listener's writes and denials (zero: off).
	audit httpkit.Audit

	// alertsLeader: this server leads the alerts election and evaluates
	// the cluster's alerts (set by leadAlerts, read by evaluateAlerts).
	alertsLeader atomic.Bool

	// clock is the one clock every component tells time and waits with.
	clock clockwork.Clock

	// logOut receives the edge's access log (the agent's log writer).
	logOut io.Writer

	// autopilot judges the servers' health (and, on servers, removes
	// dead ones); set before the API starts.
	autopilot *operator.Monitor

	// started is closed once every component is serving.
	started chan struct{}
	// stopping, when set (by tests), is called as each shutdown stage
	// begins, and with "store" before the store closes.
	stopping func(stage string)
}

// NewLogger builds the agent's logger from its configuration.
func NewLogger(cfg *Config, w io.Writer) *slog.Logger {
	lvl := slog.LevelInfo
	switch cfg.LogLevel {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// New prepares an agent; Run starts it.
func New(cfg *Config, log *slog.Logger) (*Agent, error) {
	if err := cfg.Defaults(); err != nil {
		return nil, err
	}
	return &Agent{cfg: cfg, log: log, registry: prometheus.NewRegistry(), clock: clockwork.NewRealClock(),
		started: make(chan struct{}), logOut: os.Stderr}, nil
}

// Started is closed when the agent serves its API.
func (a *Agent) Started() <-chan struct{} { return a.started }

// HTTPAddr is the API's bound address (valid after Started).
func (a *Agent) HTTPAddr() net.Addr { return a.api.Addr() }

// Routes is every route the API listener serves, as "METHOD /path"
// patterns (api.Server.Routes); the ACL matrix test holds it against its
// table.
func (a *Agent) Routes() []string { return a.api.Routes() }

// Store is the agent's store (valid after Started), for tests and tools.
func (a *Agent) Store() *store.Store { return a.store }

// View is the agent's view (valid after Started).
func (a *Agent) View() *view.View { return a.view }

// Run starts every component, serves until ctx ends or one fails, then
// stops them in reverse order of start, stage by stage (see lifecycle).
// State persists in the data directory.
func (a *Agent) Run(ctx context.Context) error {
	// The API's port is bound first: a client that connects while the
	// store starts waits in the listen backlog for its answer instead of
	// being refused (Consul's test helper gives an agent 2s to accept).
	apiLn, err := net.Listen("tcp", a.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another agent running? choose another -http-addr)", a.cfg.HTTPAddr, err)
	}
	defer apiLn.Close() // the API closes it when it serves; this covers failed starts
	if apiLn, err = a.cfg.tls.listen(apiLn); err != nil {
		return err
	}
	a.httpAddr = apiLn.Addr().String()
	if err := a.openStore(ctx); err != nil {
		return err
	}
	defer a.closeStore()
	closeAudit, err := a.openAudit()
	if err != nil {
		return err
	}
	defer closeAudit() // after the listeners stopped (life.stop runs first)

	// Stages stop in reverse: the listeners stop accepting and drain, then
	// the workers, the node's lease, the view; the store closes last.
	life := newLifecycle(ctx, a.log, a.stopping)
	defer life.stop()
	views, node := life.stage("view"), life.stage("node")
	workers, listeners := life.stage("workers"), life.stage("listeners")

	a.view = view.New(a.store, a.log.With("component", "view"))
	if err := a.view.Register(a.registry); err != nil {
		return fmt.Errorf("view metrics: %w", err)
	}
	life.run(views, "view", a.view.Run)
	select {
	case <-a.view.Ready():
	case <-ctx.Done():
		return nil
	}
	lease, err := a.registerNode(ctx)
	if err != nil {
		return err
	}
	life.run(node, "liveness", func(ctx context.Context) error { return a.keepAlive(ctx, lease) })
	if err := a.startACL(ctx); err != nil {
		return err
	}
	if a.audit.Sink != nil {
		a.audit.Accessor = tokenAccessor{a.resolver}
	}

	if err := a.publishServer(ctx); err != nil {
		apiLn.Close()
		return err
	}
	if a.cfg.Server {
		if err := a.registerConsulService(ctx); err != nil {
			apiLn.Close()
			return err
		}
	}
	if err := a.startSnapshots(life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	a.startAutopilot(life.runner(workers))
	if a.cfg.Client {
		a.health, err = health.New(health.Config{Node: a.cfg.NodeName, EnableScriptChecks: a.cfg.EnableScriptChecks,
			Logger: a.log, Registerer: a.registry, Clock: a.clock}, a.view, a.store)
		if err != nil {
			return fmt.Errorf("health: %w", err)
		}
		life.run(workers, "health", a.health.Run)
	}
	if err := a.startExternal(ctx, life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.startMetrics(life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.startIdentity(ctx, life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.openCA(ctx); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.startNodeCert(ctx, a.cfg.Servers); err != nil {
		apiLn.Close()
		return err
	}
	if a.nodeCert != nil {
		life.run(workers, "node-cert", a.nodeCert.Run)
	}
	if err := a.startConnect(ctx); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.startFeatures(ctx, life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	if err := a.startAlerts(life.runner(workers)); err != nil {
		apiLn.Close()
		return err
	}
	var ttl api.TTLUpdater
	if a.health != nil {
		ttl = ttlAdapter{a.health}
	}
	if err := a.startOrchestrator(ctx, life.runner(workers), life.runner(listeners)); err != nil {
		apiLn.Close()
		return err
	}
	mounts, err := a.mounts()
	if err != nil {
		apiLn.Close()
		return err
	}
	a.api, err = api.New(api.Config{Addr: a.cfg.HTTPAddr, Listener: apiLn, Datacenter: a.cfg.Datacenter, NodeName: a.cfg.NodeName,
		NodeID: a.nodeID, Address: a.cfg.BindAddr, Version: Version, Server: a.cfg.Server,
		StoreEndpoints: []string{a.store.ClientURL()}, ACLsEnabled: a.cfg.aclEnabled,
		EnableScriptChecks: a.cfg.EnableScriptChecks, Mounts: mounts, Logger: a.log.With("component", "api"),
		Authorizer: a.auth, Audit: a.audit, Clock: a.clock, Registry: a.registry, SessionTTLMin: a.cfg.sessionTTLMin}, a.view, a.store, ttl)
	if err != nil {
		return err
	}
	life.run(listeners, "api", a.api.Run)
	a.waitFingerprint(ctx)
	close(a.started)
	a.log.Info("orbit agent started", "node", a.cfg.NodeName, "datacenter", a.cfg.Datacenter,
		"api", a.cfg.tls.apiScheme()+"://"+a.api.Addr().String(), "store", a.storeDesc(), "dev", a.cfg.Dev)

	select {
	case <-ctx.Done():
		a.log.Info("orbit agent stopping")
		return nil
	case err := <-life.errc:
		a.log.Error("component failed; stopping", "err", err)
		return err
	}
}

func (a *Agent) storeDesc() string {
	if a.store.Embedded() {
		return "embedded " + a.store.ClientURL()
	}
	return "external " + strings.Join(a.store.Endpoints(), ",")
}

func (a *Agent) openStore(ctx context.Context) error {
	dir := a.cfg.DataDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "orbit-dev-")
		if err != nil {
			return fmt.Errorf("create temporary data dir: %w", err)
		}
		a.tempDir, dir = tmp, tmp
	}
	a.dataDir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	id, err := nodeID(dir, a.cfg.NodeID)
	if err != nil {
		return err
	}
	a.nodeID = id
	var eps []string
	if a.cfg.Servers != "" {
		var err error
		if eps, err = joinServers(ctx, a.cfg.Servers, a.cfg.agentToken(), a.cfg.tls); err != nil {
			return err
		}
		a.log.Info("joining servers", "servers", a.cfg.Servers, "store", eps)
	} else if a.cfg.Store != "" {
		for _, e := range strings.Split(strings.TrimPrefix(a.cfg.Store, "etcd://"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				eps = append(eps, e)
			}
		}
	}
	var join store.Joiner
	var joiner *httpJoiner
	if a.cfg.RetryJoin != "" && len(eps) == 0 {
		if joiner, err = newHTTPJoiner(a.cfg.RetryJoin, a.cfg.HTTPAddr, a.cfg.agentToken(), a.cfg.JoinToken, a.cfg.tls); err != nil {
			return err
		}
		join = joiner
	}
	scfg := store.Config{Endpoints: eps, DataDir: dir, Name: a.cfg.NodeName, AdvertiseHost: a.cfg.BindAddr,
		ClientAddr: a.cfg.StoreClientAddr, PeerAddr: a.cfg.StorePeerAddr, Join: join, Logger: a.log.With("component", "store")}
	if err := a.storeTLS(&scfg); err != nil {
		return err
	}
	st, err := store.Open(ctx, scfg)
	if err != nil {
		return err
	}
	if a.cfg.Server {
		if err := a.useSealKey(st, joiner); err != nil {
			st.Close()
			return err
		}
	}
	a.store = st
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return nil
}

func (a *Agent) closeStore() {
	if a.stopping != nil {
		a.stopping("store")
	}
	if a.store != nil {
		a.store.Close()
	}
	if a.tempDir != "" {
		os.RemoveAll(a.tempDir)
	}
}

// nodeID reads the node's id from the data dir, creating it on first start.
// A configured id (-node-id) wins and is kept.
func nodeID(dir, configured string) (string, error) {
	file := filepath.Join(dir, "node-id")
	if configured != "" {
		id := strings.ToLower(configured)
		if err := os.WriteFile(file, []byte(id+"\n"), 0o600); err != nil {
			return "", fmt.Errorf("write node id: %w", err)
		}
		return id, nil
	}
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	h := hex.EncodeToString(b[:])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	if err := os.WriteFile(file, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

func (a *Agent) roles() []string {
	var r []string
	if a.cfg.Server {
		r = append(r, "server")
	}
	if a.cfg.Client {
		r = append(r, "client")
	}
	if a.cfg.Edge {
		r = append(r, "edge")
	}
	return r
}

// nodeMeta is the node's metadata: the configured node_meta and, as
// Consul's agents add, the network segment (always the default "") and
// the agent's version.
func (a *Agent) nodeMeta() map[string]string {
	m := map[string]string{"consul-network-segment": "", "consul-version": Version}
	for k, v := range a.cfg.NodeMeta {
		m[k] = v
	}
	return m
}

// registerNode writes the node record and its liveness key under a new lease.
func (a *Agent) registerNode(ctx context.Context) (store.Lease, error) {
	lease, err := a.store.GrantLease(ctx, a.cfg.leaseTTL)
	if err != nil {
		return lease, err
	}
	n := &catalog.Node{Name: a.cfg.NodeName, ID: a.nodeID, Address: a.cfg.BindAddr, Datacenter: a.cfg.Datacenter,
		Agent: true, Roles: a.roles(), Meta: a.nodeMeta(), TaggedAddresses: map[string]string{
			"lan": a.cfg.BindAddr, "lan_ipv4": a.cfg.BindAddr, "wan": a.cfg.BindAddr, "wan_ipv4": a.cfg.BindAddr}}
	if old, ok := a.view.Node(a.cfg.NodeName); ok && old.Meta != nil {
		for k, v := range old.Meta {
			if _, set := n.Meta[k]; !set {
				n.Meta[k] = v
			}
		}
	}
	rev, err := a.store.RegisterNode(ctx, n, lease.ID)
	if err != nil {
		return lease, err
	}
	return lease, a.view.WaitRevision(ctx, rev)
}

// keepAlive re-registers the node under a new lease whenever the old one is
// lost (for example after the store was unreachable for longer than its
// TTL), and revokes the lease on shutdown so the node turns critical at once.
func (a *Agent) keepAlive(ctx context.Context, lease store.Lease) error {
	for {
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			a.store.RevokeLease(rctx, lease.ID)
			cancel()
			return nil
		case <-lease.Lost:
		}
		if ctx.Err() != nil {
			continue
		}
		a.log.Warn("node lease lost; re-registering")
		for {
			var err error
			if lease, err = a.registerNode(ctx); err == nil {
				break
			}
			a.log.Error("re-register node", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

// ttlAdapter maps the health manager's errors onto the API's sentinels.
type ttlAdapter struct{ m *health.Manager }

func (t ttlAdapter) UpdateTTL(ctx context.Context, id string, st catalog.Status, out string) error {
	err := t.m.UpdateTTL(ctx, id, st, out)
	switch {
	case errors.Is(err, health.ErrUnknownCheck):
		return fmt.Errorf("%w: %v", api.ErrUnknownCheck, err)
	case errors.Is(err, health.ErrNotTTL):
		return fmt.Errorf("%w: %v", api.ErrNotTTL, err)
	}
	return err
}

// EdgeAddrs are the edge's bound entry points by name (nil without the edge role).
func (a *Agent) EdgeAddrs() map[string]net.Addr {
	if a.proxy == nil {
		return nil
	}
	return a.proxy.Addrs()
}

// DNSAddr is the DNS server's bound UDP address (nil when DNS is off).
func (a *Agent) DNSAddr() net.Addr {
	if a.dns == nil {
		return nil
	}
	udp, _ := a.dns.Addr()
	return udp
}

// CA is the internal certificate authority (nil on agents that are neither
// servers nor edges, and on edges that are not servers).
func (a *Agent) CA() *pki.CA { return a.ca }

// waitFingerprint waits (a bounded time) until this node's client has
// published its fingerprint, so a job submitted right after start-up finds
// the node eligible instead of failing its first placement.
func (a *Agent) waitFingerprint(ctx context.Context) {
	if a.client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	var idx uint64
	for {
		if _, ok := a.view.NodeInfo(a.cfg.NodeName); ok {
			return
		}
		idx = a.view.Wait(ctx, view.FamilyRes(store.FamilyNodeInfo), idx)
		if ctx.Err() != nil {
			a.log.Warn("client fingerprint not published yet; jobs may wait for this node")
			return
		}
	}
}
