package proxy

import (
	"context"
	"slices"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/view"
)

// updater holds what the rebuild loop remembers between tables. Only the
// goroutine running Run touches it (and New, before Run starts).
type updater struct {
	cache      map[string]cachedService // service → converted instances
	wasBackend map[string]bool          // node/id → a backend in the last table
	downSince  map[string]time.Time     // node/id → when a damped backend turned unhealthy
	states     map[string]*backendState // node/id → balancer state, kept across tables
	mws        map[string]*mwInstance   // middleware name+config → instance with its state
	metrics    map[string]*routeMetrics // router+service → metric children
}

type cachedService struct {
	index     uint64
	instances []routing.Instance
	dampable  []bool // per instance: may be damped (not maintenance, node alive)
}

func newUpdater() *updater {
	return &updater{
		cache: map[string]cachedService{}, wasBackend: map[string]bool{}, downSince: map[string]time.Time{},
		states: map[string]*backendState{}, mws: map[string]*mwInstance{}, metrics: map[string]*routeMetrics{},
	}
}

// loop rebuilds the table after every catalog change (changes that arrive
// during a rebuild coalesce into the next one) and when a damped
// instance's grace period ends.
func (s *Server) loop(ctx context.Context, updates <-chan struct{}, next time.Duration) {
	sweep := s.clock.After(time.Minute)
	for {
		var timer <-chan time.Time
		if next > 0 {
			timer = s.clock.After(next)
		}
		select {
		case <-ctx.Done():
			return
		case <-updates:
		case <-timer:
		case <-sweep:
			s.sweepLimiters()
			s.h1.sweep(time.Now().UnixNano(), false) // idle network connections age in wall time
			sweep = s.clock.After(time.Minute)
			continue
		}
		next = s.rebuild(s.clock.Now())
	}
}

// rebuild builds a table from the catalog and swaps it in. start is when
// the change was noticed; the time from then to the swap is recorded. It
// returns how long until a damped instance's grace period ends (0: none).
func (s *Server) rebuild(start time.Time) time.Duration {
	services, next := s.snapshot(s.clock.Now())
	rt := routing.Build(s.rcfg, services)
	t := s.compile(rt)
	s.table.Store(t)
	s.metrics.updateSeconds.Observe(time.Since(start).Seconds())
	s.metrics.rebuilds.Inc()
	if errs := rt.Errors(); len(errs) > 0 && !slices.EqualFunc(errs, s.lastErrs, func(a, b error) bool { return a.Error() == b.Error() }) {
		for _, err := range errs {
			s.log.Warn("route table problem", "err", err)
		}
	}
	s.lastErrs = rt.Errors()
	return next
}

// snapshot converts the catalog to routing's input, applying flap
// damping: an instance that was a backend and turned unhealthy is still
// presented as passing until it has been unhealthy for FlapDamping, unless
// it is in maintenance or its node's liveness is lost.
func (s *Server) snapshot(now time.Time) ([]routing.ServiceInstances, time.Duration) {
	u := s.up
	names := s.cat.ServiceNames()
	out := make([]routing.ServiceInstances, 0, len(names))
	isBackend := make(map[string]bool, len(u.wasBackend))
	seen := make(map[string]bool, len(names))
	var next time.Duration
	for _, name := range names {
		seen[name] = true
		cs := s.convert(name)
		insts := cs.instances
		copied := false
		for i, in := range insts {
			key := in.Node + "/" + in.ID
			if s.healthy(in.Status) {
				delete(u.downSince, key)
				isBackend[key] = true
				continue
			}
			if s.cfg.FlapDamping < 0 || !u.wasBackend[key] || !cs.dampable[i] {
				delete(u.downSince, key)
				continue
			}
			since, ok := u.downSince[key]
			if !ok {
				since = now
				u.downSince[key] = now
			}
			left := since.Add(s.cfg.FlapDamping).Sub(now)
			if left <= 0 {
				delete(u.downSince, key)
				continue
			}
			if !copied {
				insts, copied = slices.Clone(insts), true
			}
			insts[i].Status = routing.StatusPassing
			isBackend[key] = true
			if next == 0 || left < next {
				next = left
			}
		}
		out = append(out, routing.ServiceInstances{Name: name, Instances: insts})
	}
	for name := range u.cache {
		if !seen[name] {
			delete(u.cache, name)
		}
	}
	for key := range u.downSince {
		if !isBackend[key] {
			delete(u.downSince, key)
		}
	}
	u.wasBackend = isBackend
	return out, next
}

func (s *Server) healthy(st routing.Status) bool {
	return st == routing.StatusPassing || (st == routing.StatusWarning && s.cfg.WarningIsBackend)
}

// convert returns a service's instances as routing sees them, reusing the
// last conversion while the service's index has not moved.
func (s *Server) convert(name string) cachedService {
	idx := s.cat.Index(view.ServiceRes(name))
	if cs, ok := s.up.cache[name]; ok && cs.index == idx {
		return cs
	}
	entries := s.cat.Entries(name)
	cs := cachedService{index: idx, instances: make([]routing.Instance, 0, len(entries)), dampable: make([]bool, 0, len(entries))}
	for _, e := range entries {
		in := e.Instance
		addr := in.Address
		if addr == "" && e.Node != nil {
			addr = e.Node.Address
		}
		st, weight := routing.StatusCritical, in.Weights.Passing
		switch e.Status {
		case catalog.Passing:
			st = routing.StatusPassing
		case catalog.Warning:
			st, weight = routing.StatusWarning, in.Weights.Warning
		}
		cs.instances = append(cs.instances, routing.Instance{
			ID: in.ID, Node: in.Node, Address: addr, Port: in.Port, Tags: in.Tags, Status: st, Weight: weight,
		})
		cs.dampable = append(cs.dampable, dampable(e))
	}
	s.up.cache[name] = cs
	return cs
}

// dampable: maintenance and a lost node are never damped.
func dampable(e view.Entry) bool {
	if e.Status == catalog.Maintenance {
		return false
	}
	for _, c := range e.Checks {
		if c.CheckID == catalog.SerfCheckID && c.Status != catalog.Passing {
			return false
		}
		if c.Status == catalog.Maintenance {
			return false
		}
	}
	return true
}
