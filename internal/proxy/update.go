package proxy

import (
	"context"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// updater holds what compile remembers between tables. upMu in Server
// guards it.
type updater struct {
	states  map[string]*backendState // node/id → balancer state, kept across tables
	mws     map[string]*mwInstance   // middleware name+config → instance with its state
	metrics map[string]*routeMetrics // router+service → metric children
}

func newUpdater() *updater {
	return &updater{states: map[string]*backendState{}, mws: map[string]*mwInstance{}, metrics: map[string]*routeMetrics{}}
}

// SetRoutes compiles rt (handler chains, pools, TLS names) and swaps it in
// whole; requests that arrive after it returns use it. The route feeder
// calls it with every table it builds; the table must not be modified.
func (s *Server) SetRoutes(rt *routing.Table) {
	s.upMu.Lock()
	defer s.upMu.Unlock()
	s.table.Store(s.compile(rt))
	s.metrics.rebuilds.Inc()
}

// sweepLoop forgets rate-limited clients whose allowance is full again
// and closes the lean path's long-idle backend connections, once a minute
// until ctx ends.
func (s *Server) sweepLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(time.Minute):
			s.sweepLimiters()
			s.h1.sweep(time.Now().UnixNano(), false) // idle network connections age in wall time
		}
	}
}
