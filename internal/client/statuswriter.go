package client

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/job"
)

// statusWriter batches the allocation reports of every runner into few
// store transactions: a runner hands over its latest status and moves on;
// the writer keeps only the newest status per allocation until written.
type statusWriter struct {
	store Store
	clock clockwork.Clock
	log   *slog.Logger
	wake  chan struct{} // capacity 1

	mu      sync.Mutex // guards pending
	pending map[string]*job.AllocStatus
}

func newStatusWriter(s Store, clock clockwork.Clock, log *slog.Logger) *statusWriter {
	return &statusWriter{store: s, clock: clock, log: log, wake: make(chan struct{}, 1), pending: map[string]*job.AllocStatus{}}
}

// put queues st, replacing any unwritten status of the same allocation.
func (w *statusWriter) put(st *job.AllocStatus) {
	w.mu.Lock()
	w.pending[st.ID] = st
	w.mu.Unlock()
	signal(w.wake)
}

// run writes queued statuses until ctx ends, retrying failed writes.
func (w *statusWriter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		if err := w.flush(ctx); err != nil && ctx.Err() == nil {
			w.log.Error("write allocation statuses", "err", err)
			select {
			case <-w.clock.After(time.Second):
				signal(w.wake)
			case <-ctx.Done():
				return
			}
		}
	}
}

// flush writes everything queued; on failure it queues again what was not
// superseded meanwhile.
func (w *statusWriter) flush(ctx context.Context) error {
	w.mu.Lock()
	batch := make([]*job.AllocStatus, 0, len(w.pending))
	for _, st := range w.pending {
		batch = append(batch, st)
	}
	clear(w.pending)
	w.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if _, err := w.store.PutAllocStatuses(ctx, batch); err != nil {
		w.mu.Lock()
		for _, st := range batch {
			if _, newer := w.pending[st.ID]; !newer {
				w.pending[st.ID] = st
			}
		}
		w.mu.Unlock()
		return err
	}
	return nil
}
