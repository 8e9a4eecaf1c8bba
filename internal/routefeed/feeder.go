package routefeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/view"
)

// Catalog is the part of the view the feeder reads. *view.View satisfies it.
type Catalog interface {
	ServiceNames() []string
	Entries(service string) []view.Entry
	// Index is the revision of a resource's last change; the feeder uses
	// view.ServiceRes to reconvert only the services that changed.
	Index(res view.Resource) uint64
	Subscribe() (<-chan struct{}, func())
}

var _ Catalog = (*view.View)(nil)

// Sink receives every route table the feeder builds. SetRoutes is called
// from the feeder's goroutine only, one table at a time, and should return
// once the table is in use; the table is immutable.
type Sink interface {
	SetRoutes(rt *routing.Table)
}

// Deps are the feeder's collaborators. Catalog is required.
type Deps struct {
	Catalog Catalog
	// Sinks receive each table in this order.
	Sinks    []Sink
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Clock drives flap damping; nil means the wall clock.
	Clock clockwork.Clock
}

// Feeder is the route feeder. Create with New, start with Run.
type Feeder struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	clock clockwork.Clock
	m     *metrics

	// Owned by the goroutine running Run (and Build's callers, which the
	// feeder never runs concurrently).
	cache    map[string]cachedService // service → converted instances
	state    dampState
	lastErrs []error
}

type cachedService struct {
	index uint64
	svc   service
}

// New validates cfg; nothing runs until Run.
func New(cfg Config, deps Deps) (*Feeder, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Catalog == nil {
		return nil, errors.New("route feeder: a catalog is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, fmt.Errorf("route feeder metrics: %w", err)
	}
	return &Feeder{cfg: cfg, deps: deps, log: deps.Logger, clock: deps.Clock, m: m, cache: map[string]cachedService{}}, nil
}

// Run publishes a table at once, then after every catalog change (changes
// that arrive during a build coalesce into the next one) and when a damped
// instance's grace period ends, until ctx ends.
func (f *Feeder) Run(ctx context.Context) error {
	updates, unsubscribe := f.deps.Catalog.Subscribe()
	defer unsubscribe()
	wake := f.publish(f.clock.Now())
	for {
		var timer <-chan time.Time
		if wake > 0 {
			timer = f.clock.After(wake)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-updates:
		case <-timer:
		}
		wake = f.publish(f.clock.Now())
	}
}

// publish builds a table and hands it to every sink. start is when the
// change was noticed; the time from then to the last sink's return is
// recorded. It returns how long until a damped instance's grace period
// ends (0: none).
func (f *Feeder) publish(start time.Time) time.Duration {
	rt, wake := f.build(start)
	for _, s := range f.deps.Sinks {
		s.SetRoutes(rt)
	}
	f.m.updateSeconds.Observe(f.clock.Since(start).Seconds())
	f.m.builds.Inc()
	errs := rt.Errors()
	if len(errs) > 0 && !slices.EqualFunc(errs, f.lastErrs, func(a, b error) bool { return a.Error() == b.Error() }) {
		for _, err := range errs {
			f.log.Warn("route table problem", "err", err)
		}
	}
	f.lastErrs = errs
	return wake
}

// build converts the catalog, damps and compiles a table.
func (f *Feeder) build(now time.Time) (*routing.Table, time.Duration) {
	names := f.deps.Catalog.ServiceNames()
	svcs := make([]service, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		seen[name] = true
		svcs = append(svcs, f.convert(name))
	}
	for name := range f.cache {
		if !seen[name] {
			delete(f.cache, name)
		}
	}
	in, state, wake := damp(f.state, svcs, now, f.cfg.FlapDamping, f.cfg.Routing.WarningIsBackend)
	f.state = state
	return routing.Build(f.cfg.Routing, in), wake
}

// convert returns a service's instances as routing sees them, reusing the
// last conversion while the service's index has not moved.
func (f *Feeder) convert(name string) service {
	idx := f.deps.Catalog.Index(view.ServiceRes(name))
	if cs, ok := f.cache[name]; ok && cs.index == idx {
		return cs.svc
	}
	entries := f.deps.Catalog.Entries(name)
	s := service{name: name, instances: make([]routing.Instance, 0, len(entries)), dampable: make([]bool, 0, len(entries))}
	for _, e := range entries {
		if e.Instance.Meta[catalog.MetaActivePassiveRole] == catalog.RoleStandby {
			continue // an active-passive service is routed to its primary only
		}
		s.instances = append(s.instances, instance(e))
		s.dampable = append(s.dampable, dampable(e))
	}
	f.cache[name] = cachedService{index: idx, svc: s}
	return s
}

// instance is a catalog entry as routing sees it.
func instance(e view.Entry) routing.Instance {
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
	return routing.Instance{ID: in.ID, Node: in.Node, Address: addr, Port: in.Port, Tags: in.Tags, Status: st, Weight: weight}
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
