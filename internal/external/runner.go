package external

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// ESM's names for an external node's meta and its liveness check.
const (
	MetaExternalNode  = "external-node"
	MetaExternalProbe = "external-probe"
	ProbeCheckID      = "externalNodeHealth"
	ProbeCheckName    = "External Node Status"
)

// Probe defaults: the standard's check interval, a short connect timeout.
const (
	DefaultProbeInterval = 10 * time.Second
	DefaultProbeTimeout  = 2 * time.Second
)

// Source is what the runner reads: the catalog and a signal after every
// change. *view.View satisfies it.
type Source interface {
	Nodes() []*catalog.Node
	Alive(node string) bool
	NodeChecks(node string) []*catalog.Check
	NodeInstances(node string) []*catalog.Instance
	Subscribe() (<-chan struct{}, func())
}

// Writer adds probe checks. *store.Store satisfies it.
type Writer interface {
	PutCheck(ctx context.Context, c *catalog.Check) (int64, error)
}

// CheckSource is what a node's check runner reads: the checks of that node
// this agent owns, and a signal after every change.
type CheckSource interface {
	NodeChecks(node string) []*catalog.Check
	Subscribe() (<-chan struct{}, func())
}

// CheckRunner runs one external node's checks until ctx ends
// (*health.Manager).
type CheckRunner interface {
	Run(ctx context.Context) error
}

// NewCheckRunner makes the check runner of external node node, reading
// src; the agent passes one that builds a health.Manager.
type NewCheckRunner func(node string, src CheckSource) (CheckRunner, error)

// Config configures a Runner.
type Config struct {
	// Node is this agent's node name. Required.
	Node string
	// NewChecks makes a node's check runner. Required.
	NewChecks NewCheckRunner
	// Logger receives the runner's logs; nil discards them.
	Logger *slog.Logger
}

// Validate reports a config that cannot run.
func (c *Config) Validate() error {
	if c.Node == "" {
		return errors.New("external: node name is required")
	}
	if c.NewChecks == nil {
		return errors.New("external: a check runner constructor is required")
	}
	return nil
}

// Runner runs the external checks this agent owns. Create with New,
// start with Run.
type Runner struct {
	cfg Config
	src Source
	w   Writer
	log *slog.Logger
}

// New returns a runner for cfg.Node.
func New(cfg Config, src Source, w Writer) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil || w == nil {
		return nil, errors.New("external: a source and a writer are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{cfg: cfg, src: src, w: w, log: cfg.Logger.With("component", "external", "node", cfg.Node)}, nil
}

// IsExternal reports whether n is an external node (ESM's node meta).
func IsExternal(n *catalog.Node) bool { return !n.Agent && n.Meta[MetaExternalNode] == "true" }

// managed is one external node's running health manager.
type managed struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Run starts and stops one health manager per external node that has a
// check this agent owns, after every change of the view, until ctx ends.
// It returns once every manager it started has stopped.
func (r *Runner) Run(ctx context.Context) error {
	changed, unsubscribe := r.src.Subscribe()
	defer unsubscribe()
	running := map[string]*managed{}
	defer func() {
		for _, m := range running {
			m.cancel()
		}
		for _, m := range running {
			<-m.done
		}
	}()
	r.log.Info("external checks running")
	for {
		r.reconcile(ctx, running)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// LiveAgents lists the agent nodes whose liveness lease is held, sorted.
func LiveAgents(src Source) []string {
	var out []string
	for _, n := range src.Nodes() {
		if n.Agent && src.Alive(n.Name) {
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Owned returns the checks of external node node that self owns among
// agents. Checks without a runnable definition (status-only checks) are
// never owned.
func Owned(checks []*catalog.Check, node, self string, agents []string) []*catalog.Check {
	var out []*catalog.Check
	for _, c := range checks {
		if c.Definition.Type() == "" || c.Definition.Type() == catalog.TypeTTL {
			continue
		}
		if Owner(CheckKey(node, c.CheckID), agents) == self {
			out = append(out, c)
		}
	}
	return out
}

func (r *Runner) reconcile(ctx context.Context, running map[string]*managed) {
	agents := LiveAgents(r.src)
	want := map[string]bool{}
	for _, n := range r.src.Nodes() {
		if !IsExternal(n) {
			continue
		}
		checks := r.src.NodeChecks(n.Name)
		if n.Meta[MetaExternalProbe] == "true" && Owner(CheckKey(n.Name, ProbeCheckID), agents) == r.cfg.Node {
			r.ensureProbe(ctx, n, checks)
		}
		if len(Owned(checks, n.Name, r.cfg.Node, agents)) > 0 {
			want[n.Name] = true
		}
	}
	for node, m := range running {
		if !want[node] {
			m.cancel()
			<-m.done
			delete(running, node)
			r.log.Info("external node handed over", "external", node)
		}
	}
	for node := range want {
		if running[node] != nil {
			continue
		}
		m, err := r.start(ctx, node)
		if err != nil {
			r.log.Error("start external checks", "external", node, "err", err)
			continue
		}
		running[node] = m
		r.log.Info("running external checks", "external", node)
	}
}

func (r *Runner) start(ctx context.Context, node string) (*managed, error) {
	hm, err := r.cfg.NewChecks(node, &ownedSource{r: r})
	if err != nil {
		return nil, fmt.Errorf("external node %q: %w", node, err)
	}
	mctx, cancel := context.WithCancel(ctx)
	m := &managed{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		if err := hm.Run(mctx); err != nil {
			r.log.Error("external checks stopped", "external", node, "err", err)
		}
	}()
	return m, nil
}

// ensureProbe adds ESM's node check, a TCP connect to the node's first
// service port, when the node has none yet.
func (r *Runner) ensureProbe(ctx context.Context, n *catalog.Node, checks []*catalog.Check) {
	for _, c := range checks {
		if c.CheckID == ProbeCheckID {
			return
		}
	}
	c := ProbeCheck(n, r.src.NodeInstances(n.Name))
	if c == nil {
		return
	}
	if _, err := r.w.PutCheck(ctx, c); err != nil && ctx.Err() == nil {
		r.log.Error("add probe check", "external", n.Name, "err", err)
	}
}

// ProbeCheck is the node check of an external node with probing on: a TCP
// connect to a port the node is known to serve, the lowest port of its
// instances on the node's address (or, when none listens there, the
// lowest-port instance on its own address). It is nil when the node has
// no instance with a port: ICMP would need raw sockets, which orbit does
// not use.
func ProbeCheck(n *catalog.Node, instances []*catalog.Instance) *catalog.Check {
	var onNode, any *catalog.Instance
	for _, in := range instances {
		if in.Port <= 0 {
			continue
		}
		if (in.Address == "" || in.Address == n.Address) && (onNode == nil || in.Port < onNode.Port) {
			onNode = in
		}
		if any == nil || in.Port < any.Port {
			any = in
		}
	}
	addr := n.Address
	pick := onNode
	if pick == nil {
		pick = any
		if pick == nil {
			return nil
		}
		addr = pick.Address
	}
	return &catalog.Check{Node: n.Name, CheckID: ProbeCheckID, Name: ProbeCheckName, Status: catalog.Critical,
		Notes: "TCP probe of the external node (orbit probes without ICMP)",
		Definition: catalog.CheckDefinition{TCP: net.JoinHostPort(addr, strconv.Itoa(pick.Port)),
			Interval: DefaultProbeInterval, Timeout: DefaultProbeTimeout}}
}

// ownedSource is the view a node's health manager reads: only the checks
// this agent owns, computed from the live agents at each read, so that a
// hand-over is seen at the same change by every agent.
type ownedSource struct{ r *Runner }

func (s *ownedSource) NodeChecks(node string) []*catalog.Check {
	return Owned(s.r.src.NodeChecks(node), node, s.r.cfg.Node, LiveAgents(s.r.src))
}

func (s *ownedSource) Subscribe() (<-chan struct{}, func()) { return s.r.src.Subscribe() }

var _ CheckSource = (*ownedSource)(nil)
