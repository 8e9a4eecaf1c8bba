package drainer

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Store is the part of store the drainer writes through.
type Store interface {
	Campaign(ctx context.Context, name, value string) (*store.Leadership, error)
	PutNodeSchedule(ctx context.Context, node string, sc *job.NodeSchedule, prev int64, evals ...*job.Evaluation) (int64, error)
}

var _ Store = (*store.Store)(nil)

// View is the part of the view the drainer reads.
type View interface {
	NodeInfos() []view.Item[job.NodeInfo]
	NodeSchedule(node string) (view.Item[job.NodeSchedule], bool)
	NodeAllocs(node string) []view.AllocState
	JobAllocs(ns, id string) []view.AllocState
	JobHead(ns, id string) (view.Item[job.Head], bool)
	JobVersion(ns, id string, version uint64) (view.Item[job.Version], bool)
	Subscribe() (<-chan struct{}, func())
	WaitRevision(ctx context.Context, rev int64) error
}

var _ View = (*view.View)(nil)

// Config configures the drainer. The zero value works but for NodeName.
type Config struct {
	NodeName string // the campaign's value
	// Election is the etcd election the servers' drainers run under;
	// empty means "drainer".
	Election string
	// Tick is how often a leading drainer looks again without a change
	// (health ripens with time, deadlines pass); 0 means one second.
	Tick   time.Duration
	Clock  clockwork.Clock
	Logger *slog.Logger
	NewID  func() string // evaluation IDs; nil: random UUIDs
}

// Server is the drainer; start it with Run.
type Server struct {
	cfg   Config
	store Store
	view  View
	log   *slog.Logger
}

// New returns a drainer over st and v.
func New(cfg Config, st Store, v View) (*Server, error) {
	if cfg.NodeName == "" {
		return nil, errors.New("drainer: NodeName is required")
	}
	if cfg.Tick < 0 {
		return nil, errors.New("drainer: Tick must not be negative")
	}
	if cfg.Election == "" {
		cfg.Election = "drainer"
	}
	if cfg.Tick == 0 {
		cfg.Tick = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	return &Server{cfg: cfg, store: st, view: v, log: cfg.Logger}, nil
}

// Run campaigns for leadership and drains while leading, until ctx ends;
// it returns nil then, with nothing left running.
func (s *Server) Run(ctx context.Context) error {
	store.RunElection(ctx, s.store, s.cfg.Clock.After, s.cfg.Election, s.cfg.NodeName, s.log, func(l *store.Leadership) {
		s.lead(l.Context())
	})
	return nil
}

// lead runs passes after every change of the view and every Tick.
func (s *Server) lead(ctx context.Context) {
	changed, stop := s.view.Subscribe()
	defer stop()
	for {
		s.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-s.cfg.Clock.After(s.cfg.Tick):
		}
	}
}

// pass advances every draining node once.
func (s *Server) pass(ctx context.Context) {
	for _, it := range s.view.NodeInfos() {
		if it.V.DrainStrategy == nil || ctx.Err() != nil {
			continue
		}
		if err := s.drainNode(ctx, it.V.Name); err != nil && ctx.Err() == nil {
			s.log.Warn("drain pass failed; retrying", "node", it.V.Name, "err", err)
		}
	}
}

// drainNode decides for one node and writes the outcome.
func (s *Server) drainNode(ctx context.Context, node string) error {
	sit, ok := s.view.NodeSchedule(node)
	if !ok || sit.V.Drain == nil {
		return nil
	}
	now := s.cfg.Clock.Now().UTC()
	in, jobs := s.input(node, sit.V, now)
	d := Decide(in)
	sc := *sit.V
	var evals []*job.Evaluation
	switch {
	case d.Done:
		ld := job.DrainMetadata{StartedAt: sc.Drain.StartedAt}
		if sc.LastDrain != nil {
			ld = *sc.LastDrain
		}
		ld.Status, ld.UpdatedAt = job.DrainComplete, now
		sc.Drain, sc.LastDrain, sc.Migrate = nil, &ld, nil
		s.log.Info("drain complete", "node", node)
	case len(d.Release) > 0:
		sc.Migrate = append(slices.Clone(sc.Migrate), d.Release...)
		seen := map[string]bool{}
		for _, id := range d.Release {
			k := jobs[id]
			if seen[k.ns+"/"+k.id] {
				continue
			}
			seen[k.ns+"/"+k.id] = true
			evals = append(evals, &job.Evaluation{ID: s.cfg.NewID(), Namespace: k.ns, Priority: k.priority, Type: k.typ,
				TriggeredBy: job.TriggerNodeDrain, JobID: k.id, Node: node, Status: job.EvalPending, CreateTime: now, ModifyTime: now})
		}
		s.log.Info("drain releases allocations", "node", node, "allocs", d.Release)
	default:
		return nil
	}
	rev, err := s.store.PutNodeSchedule(ctx, node, &sc, sit.ModRev, evals...)
	if errors.Is(err, store.ErrConflict) {
		return nil // changed meanwhile: the next pass sees the change
	}
	if err != nil {
		return err
	}
	return s.view.WaitRevision(ctx, rev)
}

// jobRef is the job of a released allocation.
type jobRef struct {
	ns, id, typ string
	priority    int
}

// input gathers the allocations of every job with one on node, and
// which job each belongs to.
func (s *Server) input(node string, sc *job.NodeSchedule, now time.Time) (Input, map[string]jobRef) {
	in := Input{Now: now, Node: node, Drain: sc.Drain, Groups: map[string]*Group{}}
	released := map[string]bool{}
	for _, id := range sc.Migrate {
		released[id] = true
	}
	refs := map[string]jobRef{}
	done := map[string]bool{}
	for _, st := range s.view.NodeAllocs(node) {
		a := st.Alloc.V
		key := a.Namespace + "/" + a.JobID
		if done[key] {
			continue
		}
		done[key] = true
		ref := jobRef{ns: a.Namespace, id: a.JobID, priority: job.DefaultPriority}
		migrate := map[string]*job.Migrate{}
		if h, ok := s.view.JobHead(a.Namespace, a.JobID); ok {
			if v, ok := s.view.JobVersion(a.Namespace, a.JobID, h.V.Version); ok && v.V.Job != nil {
				j := v.V.Job
				ref.typ, ref.priority = j.Type, j.Priority
				for _, g := range j.Groups {
					count := g.Count
					if h.V.Stopped {
						count = 0
					}
					migrate[g.Name] = g.EffectiveMigrate()
					in.Groups[key+"/"+g.Name] = &Group{Count: count, Type: j.Type, Migrate: migrate[g.Name]}
				}
			}
		}
		for _, js := range s.view.JobAllocs(a.Namespace, a.JobID) {
			ja := js.Alloc.V
			refs[ja.ID] = ref
			in.Allocs = append(in.Allocs, Alloc{ID: ja.ID, Node: ja.Node, Group: key + "/" + ja.TaskGroup,
				Live: !ja.Terminal(js.Status.V), Released: released[ja.ID],
				Healthy: Healthy(ja, js.Status.V, migrate[ja.TaskGroup], now)})
		}
	}
	return in, refs
}
