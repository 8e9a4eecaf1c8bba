package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Store is the part of store the scheduler writes through.
type Store interface {
	Campaign(ctx context.Context, name, value string) (*store.Leadership, error)
	ApplyPlan(ctx context.Context, p store.Plan) (store.PlanResult, error)
	RegisterJob(ctx context.Context, r store.JobRegistration) (store.JobRegistered, error)
	SetJobStatus(ctx context.Context, ns, id, status string) error
	SetVersionStable(ctx context.Context, ns, id string, version uint64, stable bool) error
	DeleteKeys(ctx context.Context, keys []string) (int64, error)
}

var _ Store = (*store.Store)(nil)

// View is the part of the view the scheduler reads: typed values and
// their indexes by job and node, and the journal of changes. *view.View
// satisfies it.
type View interface {
	Alive(node string) bool
	Subscribe() (<-chan struct{}, func())
	WaitRevision(ctx context.Context, rev int64) error
	Changes(since uint64) ([]view.Change, uint64, bool)
	JobKeys() []string
	JobHead(ns, id string) (view.Item[job.Head], bool)
	JobHeads() []view.Item[job.Head]
	JobVersion(ns, id string, version uint64) (view.Item[job.Version], bool)
	JobVersions(ns, id string) []view.Item[job.Version]
	VersionedJobs() []string
	Alloc(id string) (view.AllocState, bool)
	Allocs() []view.AllocState
	AllocStatuses() []view.Item[job.AllocStatus]
	JobAllocs(ns, id string) []view.AllocState
	NodeAllocs(node string) []view.AllocState
	PendingEvals() []view.Item[job.Evaluation]
	Evals() []view.Item[job.Evaluation]
	Deployments() []view.Item[job.Deployment]
	JobDeployments(ns, id string) []view.Item[job.Deployment]
	ActiveDeployments() []view.Item[job.Deployment]
	NodeInfo(node string) (view.Item[job.NodeInfo], bool)
	NodeInfos() []view.Item[job.NodeInfo]
	NodeSeqs() map[string]int64
	EvalBrokerPaused() bool
}

var _ View = (*view.View)(nil)

// Server runs the scheduler on a server agent: it campaigns in the etcd
// election and, while it leads, evaluates jobs and applies plans.
type Server struct {
	cfg   Config
	store Store
	view  View
	log   *slog.Logger
	m     *metrics
	newID func() string

	// The fields below belong to the leader loop (Run's goroutine).
	fence     *store.Fence // the held leadership; plans require it
	usage     *usage
	dirty     map[string]bool  // jobs changed and not yet looked at
	lastRev   map[string]int64 // job → revision its last evaluation saw
	ownRev    map[string]int64 // job → revision of its last evaluation's own plan
	lastAlive map[string]bool
	lastInfo  map[string]int64
	queued    map[string]int // job → allocations it could not place
	lastGC    time.Time
	lastGate  time.Time // the last look at gated deployments (gateWork)
}

// New returns a scheduler server over st and v; start it with Run.
func New(cfg Config, st Store, v View) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	newID := cfg.NewID
	if newID == nil {
		newID = uuid.NewString
	}
	return &Server{cfg: cfg, store: st, view: v, log: cfg.Logger, m: m, newID: newID}, nil
}

// Run campaigns for leadership and schedules while leading, until ctx
// ends. Losing leadership (the session's lease expired) sends it back to
// campaigning. It returns nil when ctx ends, after every goroutine it
// started has exited.
func (s *Server) Run(ctx context.Context) error {
	store.RunElection(ctx, s.store, s.cfg.Clock.After, s.cfg.Election, s.cfg.NodeName, s.log, func(l *store.Leadership) {
		s.m.leader.Set(1)
		fence := l.Fence()
		s.fence = &fence
		s.lead(l.Context())
		s.m.leader.Set(0)
	})
	return nil
}

// lead runs passes while ctx (the leadership) lives: after every change of
// the view, and at least every Tick for delayed work.
func (s *Server) lead(ctx context.Context) {
	changed, stop := s.view.Subscribe()
	defer stop()
	s.usage, s.dirty = newUsage(), map[string]bool{}
	s.lastRev, s.lastAlive, s.lastInfo, s.queued = map[string]int64{}, map[string]bool{}, map[string]int64{}, map[string]int{}
	s.ownRev = map[string]int64{}
	s.lastGC = s.cfg.Clock.Now()
	for {
		wait := s.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-s.cfg.Clock.After(wait):
		}
	}
}

// pass evaluates every job that needs it and returns how long the loop may
// sleep when nothing changes.
func (s *Server) pass(ctx context.Context) time.Duration {
	if s.view.EvalBrokerPaused() {
		// Nomad's paused eval broker: nothing is evaluated until the
		// configuration is changed back (a change wakes the loop).
		return s.cfg.Tick
	}
	now := s.cfg.Clock.Now()
	sn := s.read()
	ch := s.usage.sync(s.view, sn)
	work, wake := s.collectWork(sn, ch, now)
	cl := s.usage.cl
	var written int64
	for _, w := range work {
		if ctx.Err() != nil {
			return 0
		}
		rev, retry := s.evaluate(ctx, sn, cl, w, now)
		written = max(written, rev)
		if retry {
			// A plan conflicted: the snapshot is stale. Start over once the
			// view has the writes that won.
			wake = 0
			break
		}
	}
	if written > 0 {
		if err := s.view.WaitRevision(ctx, written); err != nil {
			return 0
		}
	}
	if now.Sub(s.lastGC) >= s.cfg.GCInterval {
		s.lastGC = now
		s.collectGarbage(ctx, sn, now)
	}
	total := 0
	for _, q := range s.queued {
		total += q
	}
	s.m.queued.Set(float64(total))
	return min(wake, s.cfg.Tick)
}

// work is one job to evaluate and why.
type work struct {
	key      string
	ns, id   string
	evals    []*job.Evaluation // due pending evaluations, newest first
	trigger  string
	headless bool
}
