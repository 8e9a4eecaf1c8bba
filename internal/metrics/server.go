package metrics

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// Server collects, stores and answers metrics.
type Server struct {
	cfg Config
	log *slog.Logger
	reg *prometheus.Registry
	// gather is reg plus Deps.Extra: what is charted and served.
	gather prometheus.Gatherer
	clock  clockwork.Clock
	db     *tsdb.DB
	node   *nodeCollector
	tasks  *cgroupCollector
	apps   *appsCollector
	prom   *promCollector
	own    *ownMetrics
	det    *detector // only the collection loop uses it
	start  time.Time
	// stream sends to the parent (nil: no parent); children are the
	// hosts streaming here.
	stream   *streamer
	children *mirrors
	stopped  chan struct{} // closed when Run returns
	stopOnce sync.Once

	mu      sync.Mutex        // guards defined and lastErr (the collection loop; tests)
	defined map[string]string // chart id → signature of its dimensions
	lastErr string            // the last collection error logged
}

// New prepares the feature; Run collects.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := tsdb.New(cfg.Storage)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: deps.Logger, reg: deps.Registry, clock: deps.Clock, db: db,
		node: &nodeCollector{root: cfg.Root}, tasks: &cgroupCollector{root: cfg.Root, tasks: deps.Tasks}, apps: newAppsCollector(cfg.Root),
		defined: map[string]string{}, det: newDetector(cfg.ML),
		children: &mirrors{cfg: cfg.Storage, hosts: map[string]*mirror{}}, stopped: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	if cfg.Parent != "" {
		if s.stream, err = newStreamer(cfg.Parent, cfg.Hostname, cfg.ParentToken, db, s.clock, s.log.With("parent", cfg.Parent)); err != nil {
			return nil, err
		}
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	s.gather = s.reg
	if deps.Extra != nil {
		s.gather = prometheus.Gatherers{s.reg, deps.Extra}
	}
	s.prom = &promCollector{g: s.gather, maxDims: 200, comp: newComponentCharts(), byName: map[string]*dto.MetricFamily{}}
	if s.own, err = newOwnMetrics(s.reg, db); err != nil {
		return nil, err
	}
	s.start = s.clock.Now()
	return s, nil
}

// DB is the store, for the agent's other consumers (alerts) and tests.
func (s *Server) DB() *tsdb.DB { return s.db }

// StreamStatus is how streaming to the parent fares (false: no parent).
func (s *Server) StreamStatus() (StreamStatus, bool) {
	if s.stream == nil {
		return StreamStatus{}, false
	}
	return s.stream.Status(), true
}

// Run collects every interval until ctx ends, and streams to the parent
// when there is one.
func (s *Server) Run(ctx context.Context) error {
	defer s.stopOnce.Do(func() { close(s.stopped) })
	t := s.clock.NewTicker(s.cfg.Interval)
	defer t.Stop()
	if s.stream != nil {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.stream.run(ctx) }()
		defer wg.Wait()
	}
	s.Collect(s.clock.Now())
	prune := s.clock.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.Chan():
			s.Collect(now)
			if now.Sub(prune) >= time.Minute {
				// Charts of gone disks, interfaces and allocations age out
				// with the per-second tier.
				for _, id := range s.db.Prune(now.Add(-s.cfg.Storage.Seconds).Unix()) {
					s.forget(id)
					s.det.forget(id)
				}
				s.children.prune(now.Add(-s.cfg.Storage.Seconds).Unix())
				prune = now
			}
		}
	}
}

// Collect takes one sample of every source at now.
func (s *Server) Collect(now time.Time) {
	begin := time.Now()
	sec := now.Unix()
	emit := func(c tsdb.Chart, values []float64) { s.emit(sec, c, values) }
	s.det.begin()
	var errs []string
	if err := s.node.collect(emit); err != nil {
		errs = append(errs, err.Error())
	}
	if err := s.tasks.collect(emit); err != nil {
		errs = append(errs, err.Error())
	}
	if err := s.apps.collect(emit); err != nil {
		errs = append(errs, err.Error())
	}
	if err := s.prom.collect(emit); err != nil {
		errs = append(errs, err.Error())
	}
	s.det.nodeCharts(emit)
	s.own.collected(time.Since(begin))
	// Training gets at most a fiftieth of each interval.
	s.det.train(now, s.db, s.cfg.Interval/50)
	if s.stream != nil {
		s.stream.collected()
	}
	msg := strings.Join(errs, "; ")
	s.mu.Lock()
	changed := msg != s.lastErr
	s.lastErr = msg
	s.mu.Unlock()
	if changed && msg != "" {
		s.log.Warn("metrics collection failed in part", "err", msg)
	}
}

// emit defines a chart when it is new or its dimensions changed, then
// appends its row.
func (s *Server) emit(sec int64, c tsdb.Chart, values []float64) {
	sig := signature(c)
	s.mu.Lock()
	known := s.defined[c.ID] == sig
	s.mu.Unlock()
	if !known {
		if err := s.db.Define(c); err != nil {
			s.log.Debug("chart refused", "chart", c.ID, "err", err)
			return
		}
		s.mu.Lock()
		s.defined[c.ID] = sig
		s.mu.Unlock()
	}
	bits := s.det.observe(c, sig, sec, values)
	if err := s.db.Append(c.ID, sec, values, bits); err != nil {
		s.log.Debug("sample refused", "chart", c.ID, "err", err)
		return
	}
	if s.stream != nil {
		s.stream.push(c, sig, sec, values, bits)
	}
}

func (s *Server) forget(id string) {
	s.mu.Lock()
	delete(s.defined, id)
	s.mu.Unlock()
}

func signature(c tsdb.Chart) string {
	var b strings.Builder
	for _, d := range c.Dims {
		b.WriteString(d.ID)
		b.WriteByte(byte('0' + d.Enc))
		b.WriteByte(0)
	}
	return b.String()
}
