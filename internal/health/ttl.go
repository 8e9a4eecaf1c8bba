package health

import (
	"context"
	"fmt"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// lookup returns the runner of a check, reconciling once if it is unknown
// (the API may ask right after registering it).
func (m *Manager) lookup(id string) *runner {
	m.mu.Lock()
	r := m.runners[id]
	m.mu.Unlock()
	if r != nil {
		return r
	}
	m.reconcile()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.runners[id]
}

// UpdateTTL sets a TTL check's status and output, as Consul's
// /v1/agent/check/pass|warn|fail|update, and restarts its TTL. It writes
// only when the status changes (or the output, at most once per
// OutputUpdateInterval); otherwise it just records the time.
func (m *Manager) UpdateTTL(ctx context.Context, checkID string, status catalog.Status, output string) error {
	switch status {
	case catalog.Passing, catalog.Warning, catalog.Critical:
	default:
		return fmt.Errorf("%w: check status %q (want passing, warning or critical)", catalog.ErrInvalid, status)
	}
	r := m.lookup(checkID)
	if r == nil {
		for _, c := range m.src.NodeChecks(m.cfg.Node) {
			if c.CheckID == checkID {
				return fmt.Errorf("update check %q: %w", checkID, ErrNotTTL)
			}
		}
		return fmt.Errorf("update check %q: %w", checkID, ErrUnknownCheck)
	}
	if r.typ != catalog.TypeTTL {
		return fmt.Errorf("update check %q: %w", checkID, ErrNotTTL)
	}
	output = truncateOutput(output, m.cfg.OutputMaxSize)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped.Load() {
		return fmt.Errorf("update check %q: %w", checkID, ErrUnknownCheck)
	}
	now := m.clock.Now()
	r.lastOutput = output
	r.ttlDeadline = now.Add(r.def.TTL)
	r.st = r.st.withStatus(status, now)
	err := m.report(ctx, r, status, output, now)
	m.syncReapLocked(r)
	m.mu.Lock()
	if !r.stopped.Load() && !r.running {
		m.setLocked(&r.runItem, r.ttlDeadline)
	}
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("update check %q: %w", checkID, err)
	}
	return nil
}

// expireTTL turns a TTL check critical when its deadline passed without an
// update, with Consul's "TTL expired" output.
func (m *Manager) expireTTL(ctx context.Context, r *runner) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := m.clock.Now()
	if r.stopped.Load() || r.ttlDeadline.IsZero() || now.Before(r.ttlDeadline) {
		// Updated while queued (or already expired): wait for the deadline.
		m.finishRun(r, r.ttlDeadline)
		return
	}
	r.ttlDeadline = time.Time{}
	output := "TTL expired"
	if r.lastOutput != "" {
		output = fmt.Sprintf("TTL expired (last output before timeout follows): %s", r.lastOutput)
	}
	m.log.Warn("check missed its TTL, now critical", "check", r.id, "ttl", r.def.TTL)
	m.metrics.runs.WithLabelValues(r.typ, string(catalog.Critical)).Inc()
	r.st = r.st.withStatus(catalog.Critical, now)
	_ = m.report(ctx, r, catalog.Critical, output, now)
	m.syncReapLocked(r)
	m.finishRun(r, time.Time{})
	m.runs.Add(1)
}
