package health

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// writeTimeout bounds one store write, so a stuck store cannot hold a
// check's lock (and with it reconciling) forever.
const writeTimeout = 10 * time.Second

// runner is one check's runtime: its compiled definition, its place in the
// schedule and its state between runs.
type runner struct {
	// Set at creation, never modified.
	id        string
	serviceID string
	typ       string
	def       catalog.CheckDefinition
	interval  time.Duration
	timeout   time.Duration
	th        Thresholds
	probe     prober // nil for TTL checks

	// Guarded by Manager.mu: the schedule entries and whether a run is in
	// flight. stopped is written under Manager.mu and read anywhere.
	runItem  item
	reapItem item
	running  bool
	gen      uint64 // the last reconcile that saw the check
	stopped  atomic.Bool

	// mu guards the fields below and is held across a status write, so the
	// writes of one check never interleave.
	mu          sync.Mutex
	st          State
	wStatus     catalog.Status // what the store holds, as far as we know
	wOutput     string
	wAt         time.Time // when we last wrote it (zero: never)
	wRev        int64     // store revision of our last write or adoption
	lastOutput  string    // TTL: the output of the last update
	ttlDeadline time.Time // TTL: when it expires; zero once expired
	reaped      bool      // its service has been deregistered
}

func (m *Manager) newRunner(c *catalog.Check, typ string, now time.Time) *runner {
	r := &runner{
		id: c.CheckID, serviceID: c.ServiceID, typ: typ, def: c.Definition,
		th:      thresholdsOf(&c.Definition),
		wStatus: c.Status, wOutput: c.Output, wRev: int64(c.ModifyIndex),
	}
	r.runItem = item{r: r, kind: kindRun, index: -1}
	r.reapItem = item{r: r, kind: kindReap, index: -1}
	r.st = NewState(c.Status, r.th, now)
	r.interval = max(c.Definition.Interval, m.cfg.MinInterval)
	if r.interval <= 0 {
		r.interval = DefaultMinInterval
	}
	r.timeout = c.Definition.Timeout
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
		if typ == catalog.TypeScript {
			r.timeout = DefaultScriptTimeout
		}
	}
	switch typ {
	case catalog.TypeHTTP:
		r.probe = newHTTPProbe(m.http, &c.Definition, m.cfg.OutputMaxSize)
	case catalog.TypeTCP:
		r.probe = tcpProbe{addr: c.Definition.TCP}
	case catalog.TypeGRPC:
		r.probe = newGRPCProbe(&c.Definition)
	case catalog.TypeScript:
		r.probe = scriptProbe{args: c.Definition.Args, timeout: r.timeout, max: m.cfg.OutputMaxSize}
	}
	return r
}

// matches reports whether c is still the check r runs.
func (r *runner) matches(c *catalog.Check) bool {
	return r.serviceID == c.ServiceID && sameDefinition(&r.def, &c.Definition)
}

// sameDefinition compares two definitions field by field (reconcile runs it
// for every check after every change, so it must not allocate).
func sameDefinition(a, b *catalog.CheckDefinition) bool {
	return a.HTTP == b.HTTP && a.Method == b.Method && a.Body == b.Body &&
		a.TLSServerName == b.TLSServerName && a.TLSSkipVerify == b.TLSSkipVerify &&
		a.TCP == b.TCP && a.GRPC == b.GRPC && a.GRPCUseTLS == b.GRPCUseTLS &&
		a.TTL == b.TTL && a.Interval == b.Interval && a.Timeout == b.Timeout &&
		a.SuccessBeforePassing == b.SuccessBeforePassing &&
		a.FailuresBeforeWarning == b.FailuresBeforeWarning &&
		a.FailuresBeforeCritical == b.FailuresBeforeCritical &&
		a.DeregisterCriticalServiceAfter == b.DeregisterCriticalServiceAfter &&
		slices.Equal(a.Args, b.Args) &&
		maps.EqualFunc(a.Header, b.Header, slices.Equal[[]string])
}

// adopt takes a status someone else wrote (a re-registration, the catalog
// API) since our last write; the view's older copies of our own writes are
// ignored by revision.
func (m *Manager) adopt(r *runner, c *catalog.Check, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if int64(c.ModifyIndex) <= r.wRev || r.stopped.Load() {
		return
	}
	r.wStatus, r.wOutput, r.wRev = c.Status, c.Output, int64(c.ModifyIndex)
	if c.Status != r.st.Status {
		r.st = r.st.withStatus(c.Status, now)
		m.syncReapLocked(r)
	}
}

// runCheck runs r once, applies the thresholds, writes a change and
// schedules the next run one interval after this one ended.
func (m *Manager) runCheck(ctx context.Context, r *runner) {
	pctx, cancel := context.WithTimeout(ctx, r.timeout)
	began := time.Now()
	result, output := r.probe.probe(pctx)
	took := time.Since(began)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the result is the cancellation's
	}
	m.metrics.duration.WithLabelValues(r.typ).Observe(took.Seconds())
	m.metrics.runs.WithLabelValues(r.typ, string(result)).Inc()
	now := m.clock.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.stopped.Load() {
		st, reported := Step(r.st, result, r.th, now)
		r.st = st
		if reported {
			_ = m.report(ctx, r, st.Status, output, now)
		}
		m.syncReapLocked(r)
	}
	m.finishRun(r, now.Add(r.interval))
	m.runs.Add(1)
}

// report writes status and output when the status differs from the
// store's, or when only the output differs and the last write is older than
// OutputUpdateInterval (Consul's check_update_interval). A failed write is
// logged, counted and retried with the next result. r.mu must be held.
func (m *Manager) report(ctx context.Context, r *runner, status catalog.Status, output string, now time.Time) error {
	if status == r.wStatus {
		if output == r.wOutput {
			return nil
		}
		if d := m.cfg.OutputUpdateInterval; d > 0 && !r.wAt.IsZero() && now.Sub(r.wAt) < d {
			return nil
		}
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	rev, wrote, err := m.w.SetCheckStatus(wctx, m.cfg.Node, r.id, status, output)
	cancel()
	if err != nil {
		if ctx.Err() == nil && !r.stopped.Load() {
			m.metrics.writeErrors.Inc()
			m.log.Warn("write check status", "check", r.id, "status", status, "err", err)
		}
		return err
	}
	if status != r.wStatus {
		m.log.Info("check status changed", "check", r.id, "service", r.serviceID, "from", r.wStatus, "to", status)
	}
	r.wStatus, r.wOutput, r.wAt, r.wRev = status, output, now, rev
	if wrote {
		m.metrics.written.WithLabelValues(string(status)).Inc()
	}
	return nil
}

// reap deregisters r's service once r has been critical for
// deregister_critical_service_after.
func (m *Manager) reap(ctx context.Context, r *runner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := ReapAt(r.st, r.def.DeregisterCriticalServiceAfter)
	if !ok || r.reaped || r.stopped.Load() {
		return
	}
	if now := m.clock.Now(); now.Before(at) {
		m.syncReapLocked(r)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	existed, _, err := m.w.DeregisterInstance(wctx, m.cfg.Node, r.serviceID)
	cancel()
	if err != nil {
		if ctx.Err() == nil && !r.stopped.Load() {
			m.log.Warn("deregister critical service", "service", r.serviceID, "check", r.id, "err", err)
			m.mu.Lock()
			m.setLocked(&r.reapItem, m.clock.Now().Add(r.interval))
			m.mu.Unlock()
		}
		return
	}
	r.reaped = true
	m.metrics.deregistered.Inc()
	m.log.Info("deregistered service: check critical longer than deregister_critical_service_after",
		"service", r.serviceID, "check", r.id, "after", r.def.DeregisterCriticalServiceAfter, "existed", existed)
}
