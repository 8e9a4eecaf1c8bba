package periodic

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Store is the part of store the launcher writes through.
type Store interface {
	Campaign(ctx context.Context, name, value string) (*store.Leadership, error)
	RegisterJob(ctx context.Context, r store.JobRegistration) (store.JobRegistered, error)
}

var _ Store = (*store.Store)(nil)

// View is the part of the view the launcher reads.
type View interface {
	JobHeads() []view.Item[job.Head]
	JobVersion(ns, id string, version uint64) (view.Item[job.Version], bool)
	Subscribe() (<-chan struct{}, func())
	WaitRevision(ctx context.Context, rev int64) error
}

var _ View = (*view.View)(nil)

// Config configures the launcher. The zero value works but for NodeName.
type Config struct {
	NodeName string // the campaign's value
	// Election is the etcd election the servers' launchers run under;
	// empty means "periodic".
	Election string
	// MaxSleep caps how long a leading launcher waits without a change
	// when no launch is due sooner; 0 means one minute.
	MaxSleep time.Duration
	Clock    clockwork.Clock
	Logger   *slog.Logger
	NewID    func() string // evaluation IDs; nil: random UUIDs
}

// Server is the launcher; start it with Run.
type Server struct {
	cfg   Config
	store Store
	view  View
	log   *slog.Logger
	// since holds, per parent ("ns/id"), the last launch made or skipped
	// by this leadership; only the lead goroutine touches it.
	since map[string]time.Time
}

// New returns a launcher over st and v.
func New(cfg Config, st Store, v View) (*Server, error) {
	if cfg.NodeName == "" {
		return nil, errors.New("periodic: NodeName is required")
	}
	if cfg.MaxSleep < 0 {
		return nil, errors.New("periodic: MaxSleep must not be negative")
	}
	if cfg.Election == "" {
		cfg.Election = "periodic"
	}
	if cfg.MaxSleep == 0 {
		cfg.MaxSleep = time.Minute
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

// Run campaigns for leadership and launches while leading, until ctx
// ends; it returns nil then, with nothing left running.
func (s *Server) Run(ctx context.Context) error {
	store.RunElection(ctx, s.store, s.cfg.Clock.After, s.cfg.Election, s.cfg.NodeName, s.log, func(l *store.Leadership) {
		s.lead(l.Context())
	})
	return nil
}

// lead runs passes after every change of the view and when a launch is
// due.
func (s *Server) lead(ctx context.Context) {
	changed, stop := s.view.Subscribe()
	defer stop()
	s.since = map[string]time.Time{}
	for {
		wake := s.pass(ctx)
		sleep := s.cfg.MaxSleep
		if !wake.IsZero() {
			sleep = min(sleep, max(wake.Sub(s.cfg.Clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-s.cfg.Clock.After(sleep):
		}
	}
}

// pass launches what is due and returns when the next launch is.
func (s *Server) pass(ctx context.Context) time.Time {
	now := s.cfg.Clock.Now()
	parents, jobs := s.parents()
	launches, wake := Decide(now, parents)
	for _, l := range launches {
		key := l.Namespace + "/" + l.ID
		switch {
		case l.Err != nil:
			s.log.Warn("periodic job cannot be evaluated", "job", l.ID, "namespace", l.Namespace, "err", l.Err)
			continue
		case l.Skip:
			s.log.Info("periodic launch skipped: a child is still running (prohibit_overlap)", "job", l.ID, "launch", l.At)
			s.since[key] = l.At
			continue
		}
		if err := s.launch(ctx, jobs[key], l.At, now); err != nil {
			if ctx.Err() == nil {
				s.log.Warn("periodic launch failed; retrying", "job", l.ID, "launch", l.At, "err", err)
			}
			// retried at the next pass: since is not advanced
			wake = earliest(wake, now.Add(time.Second))
			continue
		}
		s.since[key] = l.At
	}
	return wake
}

// launch registers the child of parent launched at at.
func (s *Server) launch(ctx context.Context, parent *job.Job, at, now time.Time) error {
	child, err := parent.PeriodicChild(at)
	if err != nil {
		return err
	}
	ev := &job.Evaluation{ID: s.cfg.NewID(), Namespace: child.Namespace, Priority: child.Priority, Type: child.Type,
		TriggeredBy: job.TriggerPeriodicJob, JobID: child.ID, Status: job.EvalPending, CreateTime: now, ModifyTime: now}
	res, err := s.store.RegisterJob(ctx, store.JobRegistration{Job: child, Eval: ev, Now: now, Same: job.SameSpec})
	if err != nil {
		return err
	}
	s.log.Info("periodic job launched", "job", parent.ID, "child", child.ID)
	return s.view.WaitRevision(ctx, res.Revision)
}

// parents gathers every running periodic job with what Decide needs, and
// the job itself by "ns/id".
func (s *Server) parents() ([]Parent, map[string]*job.Job) {
	type childInfo struct {
		last    time.Time
		running bool
	}
	heads := s.view.JobHeads()
	children := map[string]*childInfo{} // by parent "ns/id"
	for _, it := range heads {
		h := it.V
		i := strings.LastIndex(h.ID, job.PeriodicLaunchSuffix)
		if i <= 0 {
			continue
		}
		parent := h.ID[:i]
		at, ok := job.PeriodicLaunchTime(parent, h.ID)
		if !ok {
			continue
		}
		key := h.Namespace + "/" + parent
		c := children[key]
		if c == nil {
			c = &childInfo{}
			children[key] = c
		}
		if at.After(c.last) {
			c.last = at
		}
		if h.Status != job.JobDead && !h.Stopped {
			c.running = true
		}
	}
	var out []Parent
	jobs := map[string]*job.Job{}
	for _, it := range heads {
		h := it.V
		if h.Stopped {
			continue
		}
		v, ok := s.view.JobVersion(h.Namespace, h.ID, h.Version)
		if !ok || v.V.Job == nil || !v.V.Job.IsPeriodic() {
			continue
		}
		key := h.Namespace + "/" + h.ID
		p := Parent{Namespace: h.Namespace, ID: h.ID, Periodic: v.V.Job.Periodic, Since: v.V.SubmitTime}
		if c := children[key]; c != nil {
			p.Running = c.running
			if c.last.After(p.Since) {
				p.Since = c.last
			}
		}
		if t := s.since[key]; t.After(p.Since) {
			p.Since = t
		}
		jobs[key] = v.V.Job
		out = append(out, p)
	}
	return out, jobs
}
