package health

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// Source is what the manager reads: this node's checks, and a signal after
// every change. *view.View satisfies it.
type Source interface {
	NodeChecks(node string) []*catalog.Check
	Subscribe() (<-chan struct{}, func())
}

// Writer is where the manager writes: a check's status and output (it
// reports whether it wrote, and writes nothing when both are unchanged),
// and the deregistration of a service that stayed critical too long.
// *store.Store satisfies it.
type Writer interface {
	SetCheckStatus(ctx context.Context, node, id string, status catalog.Status, output string) (int64, bool, error)
	DeregisterInstance(ctx context.Context, node, id string) (bool, int64, error)
}

// Errors of UpdateTTL, for the API to map to 404 and 400.
var (
	ErrUnknownCheck = errors.New("unknown check")
	ErrNotTTL       = errors.New("check is not a TTL check")
)

// Manager runs this node's checks. Create with New, start with Run.
type Manager struct {
	cfg     Config
	src     Source
	w       Writer
	clock   interface{ Now() time.Time }
	log     *slog.Logger
	metrics *metrics
	http    *transports

	jobs chan *item    // scheduler → workers
	wake chan struct{} // the earliest item changed (capacity 1)

	reconcileMu sync.Mutex // serializes reconcile

	// mu guards runners, sched, refused, rng and each runner's running
	// flag and schedule items. Lock order: runner.mu before mu.
	mu      sync.Mutex
	runners map[string]*runner
	sched   schedule
	refused map[string]bool // script checks already logged as refused
	rng     *rand.Rand
	gen     uint64 // reconcile generation: runners not marked with it are gone

	runs atomic.Int64 // completed runs, TTL expiries included
}

// New returns a manager for cfg.Node's checks, read from src and written
// to w. Nothing runs until Run.
func New(cfg Config, src Source, w Writer) (*Manager, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if src == nil || w == nil {
		return nil, errors.New("health: a source and a writer are required")
	}
	cfg = cfg.withDefaults()
	met, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &Manager{
		cfg: cfg, src: src, w: w, clock: cfg.Clock,
		log:     cfg.Logger.With("component", "health", "node", cfg.Node),
		metrics: met,
		http:    newTransports(cfg.Workers),
		jobs:    make(chan *item),
		wake:    make(chan struct{}, 1),
		runners: map[string]*runner{},
		refused: map[string]bool{},
		rng:     rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}, nil
}

// Run reconciles the runners with the source after every change and runs
// checks until ctx ends; it returns once every goroutine it started has
// exited. Call it once.
func (m *Manager) Run(ctx context.Context) error {
	changed, unsubscribe := m.src.Subscribe()
	defer unsubscribe()
	defer m.http.close()
	var wg sync.WaitGroup
	for range m.cfg.Workers {
		wg.Go(func() { m.work(ctx) })
	}
	wg.Go(func() { m.scheduleLoop(ctx) })
	m.reconcile()
	m.log.Info("health checks running", "workers", m.cfg.Workers)
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
		// Reconciling walks every check of the node (about 10 ms for
		// 10,000). Pausing nine times as long afterwards bounds it to a
		// tenth of a core while the view changes nonstop (a mass flip
		// writes thousands of statuses); changes meanwhile coalesce.
		// This paces CPU, so it is wall time, not the injected clock.
		began := time.Now()
		m.reconcile()
		if pause := 9 * time.Since(began); pause > time.Millisecond {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
		}
	}
}

// scheduleLoop hands due items to the workers, sleeping on the clock until
// the earliest one is due or the schedule changes.
func (m *Manager) scheduleLoop(ctx context.Context) {
	timer := m.cfg.Clock.NewTimer(time.Hour)
	defer timer.Stop()
	due := make([]*item, 0, 256)
	for {
		m.mu.Lock()
		due = m.sched.popDue(m.clock.Now(), cap(due), due[:0])
		for _, it := range due {
			if it.kind == kindRun {
				it.r.running = true
			}
		}
		next, ok := m.sched.next()
		m.mu.Unlock()
		for _, it := range due {
			select {
			case m.jobs <- it:
			case <-ctx.Done():
				return
			}
		}
		if len(due) > 0 {
			continue
		}
		wait := time.Hour
		if ok {
			if wait = next.Sub(m.clock.Now()); wait <= 0 {
				continue
			}
		}
		timer.Reset(wait)
		select {
		case <-timer.Chan():
		case <-m.wake:
		case <-ctx.Done():
			return
		}
	}
}

// work executes items until ctx ends.
func (m *Manager) work(ctx context.Context) {
	for {
		select {
		case it := <-m.jobs:
			switch {
			case it.kind == kindReap:
				m.reap(ctx, it.r)
			case it.r.typ == catalog.TypeTTL:
				m.expireTTL(ctx, it.r)
			default:
				m.runCheck(ctx, it.r)
			}
		case <-ctx.Done():
			return
		}
	}
}

// setLocked schedules it at at and wakes the scheduler when it became the
// earliest item. m.mu must be held.
func (m *Manager) setLocked(it *item, at time.Time) {
	if m.sched.set(it, at) {
		select {
		case m.wake <- struct{}{}:
		default:
		}
	}
}

// finishRun returns r's run item to the schedule at at (zero: leave it out
// until something reschedules it). r.mu must be held, so that an UpdateTTL
// cannot slip between the decision and the rescheduling.
func (m *Manager) finishRun(r *runner, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.running = false
	if !r.stopped.Load() && !at.IsZero() {
		m.setLocked(&r.runItem, at)
	}
}

// syncReapLocked schedules or unschedules r's deregistration to match its
// state. r.mu must be held.
func (m *Manager) syncReapLocked(r *runner) {
	at, ok := ReapAt(r.st, r.def.DeregisterCriticalServiceAfter)
	ok = ok && r.serviceID != "" && !r.reaped
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case r.stopped.Load():
	case !ok:
		m.sched.remove(&r.reapItem)
	case r.reapItem.index < 0 || !r.reapItem.at.Equal(at):
		m.setLocked(&r.reapItem, at)
	}
}

// reconcile brings the runners in line with the source: it starts runners
// for new checks, replaces those whose definition changed, stops those that
// are gone, and lets the others keep their state.
func (m *Manager) reconcile() {
	m.reconcileMu.Lock()
	defer m.reconcileMu.Unlock()
	checks := m.src.NodeChecks(m.cfg.Node)
	now := m.clock.Now()
	type kept struct {
		r *runner
		c *catalog.Check
	}
	var keep []kept
	counts := map[string]int{}
	m.mu.Lock()
	m.gen++
	for _, c := range checks {
		typ := c.Definition.Type()
		if !m.runnableLocked(c, typ) {
			continue
		}
		counts[typ]++
		if r := m.runners[c.CheckID]; r != nil {
			if r.matches(c) {
				r.gen = m.gen
				keep = append(keep, kept{r, c})
				continue
			}
			m.stopLocked(r)
		}
		r := m.newRunner(c, typ, now)
		r.gen = m.gen
		m.runners[c.CheckID] = r
		m.startLocked(r, now)
	}
	for id, r := range m.runners {
		if r.gen != m.gen {
			m.stopLocked(r)
			delete(m.runners, id)
		}
	}
	m.mu.Unlock()
	for _, typ := range []string{catalog.TypeHTTP, catalog.TypeTCP, catalog.TypeGRPC, catalog.TypeTTL, catalog.TypeScript} {
		m.metrics.running.WithLabelValues(typ).Set(float64(counts[typ]))
	}
	for _, k := range keep {
		m.adopt(k.r, k.c, now)
	}
}

// runnableLocked reports whether this manager runs c. m.mu must be held.
func (m *Manager) runnableLocked(c *catalog.Check, typ string) bool {
	switch typ {
	case catalog.TypeHTTP, catalog.TypeTCP, catalog.TypeGRPC, catalog.TypeTTL:
		return true
	case catalog.TypeScript:
		if m.cfg.EnableScriptChecks {
			return true
		}
		if !m.refused[c.CheckID] {
			m.refused[c.CheckID] = true
			m.log.Warn("script check not run: script checks are disabled on this agent", "check", c.CheckID)
		}
	}
	return false
}

// startLocked schedules a new runner: the first run at a random offset
// within its interval, a TTL check's expiry one TTL from now, and its
// service's deregistration if it starts critical. m.mu must be held.
func (m *Manager) startLocked(r *runner, now time.Time) {
	if r.typ == catalog.TypeTTL {
		r.ttlDeadline = now.Add(r.def.TTL)
		m.setLocked(&r.runItem, r.ttlDeadline)
	} else {
		m.setLocked(&r.runItem, now.Add(time.Duration(m.rng.Int64N(int64(r.interval)))))
	}
	if at, ok := ReapAt(r.st, r.def.DeregisterCriticalServiceAfter); ok && r.serviceID != "" {
		m.setLocked(&r.reapItem, at)
	}
}

// stopLocked unschedules r; a run in flight finishes without reporting.
// m.mu must be held.
func (m *Manager) stopLocked(r *runner) {
	r.stopped.Store(true)
	m.sched.remove(&r.runItem)
	m.sched.remove(&r.reapItem)
}
