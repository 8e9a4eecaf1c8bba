package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/view"
)

// Client runs this node's allocations. Create with New, start with Run.
type Client struct {
	cfg     Config
	view    View
	store   Store
	drivers []driver.Driver
	// identity signs workload identities; nil when this agent has none.
	identity IdentitySigner
	// consulTokens derives tasks' Consul tokens; nil when this agent has none.
	consulTokens ConsulTokens
	// tplAccess checks what templates may read; nil allows everything.
	tplAccess TemplateAccess
	clock     clockwork.Clock
	log       *slog.Logger
	metrics   *metrics
	ports     *portAllocator
	// statuses batches the runners' reports into few writes.
	statuses *statusWriter

	id string // node.unique.id, set by Run

	// seen is the revision of each of this node's allocations at the last
	// reconcile; allocIdx the node's allocation index then. Only Run's
	// goroutine uses them.
	seen     map[string]int64
	allocIdx uint64

	// mu guards runners, usable, node and facts.
	mu      sync.Mutex
	runners map[string]*allocRunner
	usable  map[string]driver.Driver // healthy drivers by name
	node    *job.NodeInfo
	facts   *nodeFacts
}

// New returns a client for cfg.NodeName. Nothing runs until Run.
func New(cfg Config, deps Deps) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.View == nil || deps.Store == nil {
		return nil, errors.New("client: a view and a store are required")
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("client metrics: %w", err)
	}
	log := cfg.Logger.With("component", "client", "node", cfg.NodeName)
	return &Client{
		statuses: newStatusWriter(deps.Store, cfg.Clock, log),
		cfg:      cfg, view: deps.View, store: deps.Store, drivers: deps.Drivers, identity: deps.Identity, consulTokens: deps.ConsulTokens, tplAccess: deps.TemplateAccess, clock: cfg.Clock,
		log:     log,
		metrics: m, ports: newPortAllocator(cfg.PortMin, cfg.PortMax, cfg.Address),
		runners: map[string]*allocRunner{}, usable: map[string]driver.Driver{}, seen: map[string]int64{},
	}, nil
}

// Run fingerprints the node, re-attaches to the tasks of allocations it
// ran before, then runs this node's allocations as the view changes until
// ctx ends. It returns once every goroutine it started has exited; tasks
// keep running unless StopOnShutdown is set.
func (c *Client) Run(ctx context.Context) error {
	for _, d := range []string{filepath.Join(c.cfg.DataDir, "alloc"), c.stateDir()} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("client data dir: %w", err)
		}
	}
	id, err := c.nodeID()
	if err != nil {
		return err
	}
	c.id = id
	c.refreshFingerprint(ctx, true)
	changed, unsubscribe := c.view.Subscribe()
	defer unsubscribe()

	// The status writer outlives the runners so their last reports (a
	// stop on shutdown) are written; it is flushed once they are done.
	wctx, stopWriter := context.WithCancel(context.WithoutCancel(ctx))
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); c.statuses.run(wctx) }()
	defer func() {
		stopWriter()
		<-writerDone
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := c.statuses.flush(fctx); err != nil {
			c.log.Error("write final allocation statuses", "err", err)
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	saved, err := c.loadStates()
	if err != nil {
		return err
	}
	for id, st := range saved {
		c.ports.hold(id, st.Ports)
		ar := newAllocRunner(c, st.Alloc, st)
		c.mu.Lock()
		c.runners[id] = ar
		c.mu.Unlock()
		wg.Go(func() { ar.run(ctx) })
	}
	c.log.Info("client running", "restored", len(saved), "address", c.cfg.Address)
	ticker := c.clock.NewTicker(c.cfg.FingerprintInterval)
	defer ticker.Stop()
	c.reconcile(ctx, &wg)
	for {
		select {
		case <-ctx.Done():
			c.log.Info("client stopping", "stop_tasks", c.cfg.StopOnShutdown)
			return nil
		case <-ticker.Chan():
			c.refreshFingerprint(ctx, false)
		case <-changed:
			if c.view.Index(view.NodeAllocsRes(c.cfg.NodeName)) != c.allocIdx {
				c.reconcile(ctx, &wg)
			} else {
				c.wakeViewers()
			}
		}
	}
}

// refreshFingerprint fingerprints the drivers and writes NodeInfo when it
// changed (or always with force).
func (c *Client) refreshFingerprint(ctx context.Context, force bool) {
	n, usable := c.fingerprint(ctx)
	c.mu.Lock()
	old := c.node
	c.usable, c.node = usable, n
	c.facts = &nodeFacts{Name: n.Name, ID: n.ID, Datacenter: n.Datacenter, Class: n.NodeClass, Pool: n.NodePool,
		Region: c.cfg.Region, Address: n.Address, Attributes: n.Attributes, Meta: n.Meta}
	c.mu.Unlock()
	if !force && sameFingerprint(old, n) {
		return
	}
	if _, err := c.store.PutNodeInfo(ctx, n); err != nil && ctx.Err() == nil {
		c.log.Error("write node info", "err", err)
	}
	c.log.Info("node fingerprinted", "drivers", driver.Healthy(fingerprints(n)))
}

func fingerprints(n *job.NodeInfo) []driver.Fingerprint {
	var out []driver.Fingerprint
	for name, d := range n.Drivers {
		out = append(out, driver.Fingerprint{Driver: name, Detected: d.Detected, Healthy: d.Healthy})
	}
	return out
}

// nodeFacts returns the node values interpolation reads.
func (c *Client) nodeFacts() *nodeFacts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.facts
}

// driver returns a healthy driver by name.
func (c *Client) driver(name string) (driver.Driver, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.usable[name]; ok {
		return d, nil
	}
	for _, d := range c.drivers {
		if d.Name() == name {
			return nil, fmt.Errorf("driver %q is not healthy on node %s: %s", name, c.cfg.NodeName, c.node.Drivers[name].Description)
		}
	}
	return nil, fmt.Errorf("driver %q is not available on node %s", name, c.cfg.NodeName)
}

// reconcile starts runners for new allocations of this node, passes
// changes to running ones, stops those whose allocation went away, and
// removes registrations no allocation here owns.
func (c *Client) reconcile(ctx context.Context, wg *sync.WaitGroup) {
	mine, changed := c.myAllocs()
	c.mu.Lock()
	for id, a := range mine {
		if ar, ok := c.runners[id]; ok {
			if changed[id] {
				ar.update(a)
			}
			if ar.needsView.Load() {
				signal(ar.viewCh)
			}
			continue
		}
		if a.TerminalDesired() || a.Lost || c.reportedTerminal(id) {
			continue
		}
		ar := newAllocRunner(c, a, nil)
		c.runners[id] = ar
		wg.Go(func() { ar.run(ctx) })
	}
	for id, ar := range c.runners {
		if _, ok := mine[id]; !ok {
			ar.removed()
		}
		if ar.finished() {
			if _, ok := mine[id]; !ok {
				delete(c.runners, id)
				c.ports.release(id)
				c.removeState(id)
				os.RemoveAll(c.allocDir(id))
			}
		}
	}
	live := make(map[string]bool, len(c.runners))
	for id := range c.runners {
		live[id] = true
	}
	c.metrics.allocs.Set(float64(len(c.runners)))
	c.mu.Unlock()
	c.sweep(ctx, live)
}

// wakeViewers signals the runners that render from the view (templates)
// after a change that concerns no allocation of this node.
func (c *Client) wakeViewers() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ar := range c.runners {
		if ar.needsView.Load() {
			signal(ar.viewCh)
		}
		signal(ar.lockCh) // a freed lock is taken without waiting a tick
	}
}

// myAllocs reads this node's allocations from the view's node index (the
// rest of the cluster is never looked at) and says which changed since
// the last call.
func (c *Client) myAllocs() (map[string]*job.Allocation, map[string]bool) {
	c.allocIdx = c.view.Index(view.NodeAllocsRes(c.cfg.NodeName))
	list := c.view.NodeAllocs(c.cfg.NodeName)
	mine, changed := make(map[string]*job.Allocation, len(list)), map[string]bool{}
	for _, s := range list {
		a := s.Alloc.V
		if c.seen[a.ID] != s.Alloc.ModRev {
			c.seen[a.ID] = s.Alloc.ModRev
			changed[a.ID] = true
		}
		mine[a.ID] = a
	}
	for id := range c.seen {
		if _, ok := mine[id]; !ok {
			delete(c.seen, id)
		}
	}
	return mine, changed
}

// reportedTerminal reports whether this node already reported the
// allocation complete or failed (so it must not run again).
func (c *Client) reportedTerminal(id string) bool {
	st, ok := c.view.AllocStatus(id)
	return ok && st.V.Terminal()
}

// sweep deregisters instances on this node owned by allocations this
// client does not run: no service outlives its allocation, even across an
// agent crash.
func (c *Client) sweep(ctx context.Context, live map[string]bool) {
	for _, in := range c.view.NodeInstances(c.cfg.NodeName) {
		if in.Owner == "" || live[in.Owner] {
			continue
		}
		if _, _, err := c.store.DeregisterInstance(ctx, c.cfg.NodeName, in.ID); err != nil {
			c.log.Error("deregister orphaned service", "service", in.ID, "alloc", in.Owner, "err", err)
			continue
		}
		c.log.Info("deregistered service of a gone allocation", "service", in.ID, "alloc", in.Owner)
	}
}

func (c *Client) allocDir(id string) string { return filepath.Join(c.cfg.DataDir, "alloc", id) }

// OpenLog returns a task's stdout or stderr (stream "stdout" or "stderr")
// of an allocation on this node from byte offset (origin "start"), or
// offset bytes before the end (origin "end"), across rotated files. With
// follow it keeps returning output until ctx ends or the task is dead. It
// wraps fs.ErrNotExist when the allocation or task is not here.
func (c *Client) OpenLog(ctx context.Context, allocID, task, stream string, offset int64, origin string, follow bool) (io.ReadCloser, error) {
	if stream != "stdout" && stream != "stderr" {
		return nil, fmt.Errorf("log stream %q: want stdout or stderr", stream)
	}
	c.mu.Lock()
	ar := c.runners[allocID]
	c.mu.Unlock()
	if ar == nil {
		return nil, fmt.Errorf("allocation %s on node %s: %w", allocID, c.cfg.NodeName, fs.ErrNotExist)
	}
	dead := func() bool { return ar.taskDead(task) }
	r, err := openLogReader(ctx, filepath.Join(c.allocDir(allocID), "alloc", "logs"), task+"."+stream, offset, origin, follow, dead)
	if err != nil {
		return nil, fmt.Errorf("task %q of allocation %s: %w", task, allocID, err)
	}
	return r, nil
}

// timeSince is a helper for metrics.
func (c *Client) timeSince(t time.Time) float64 { return c.clock.Since(t).Seconds() }
