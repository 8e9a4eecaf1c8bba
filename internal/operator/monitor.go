package operator

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/store"
)

// AutopilotCluster is what autopilot needs of the servers' store.
type AutopilotCluster interface {
	Cluster
	AutopilotConfig(ctx context.Context) (store.AutopilotConfig, error)
	SetAutopilotConfig(ctx context.Context, c store.AutopilotConfig, cas bool, casIndex int64) (bool, error)
	MemberStatus(ctx context.Context, clientURL string) (store.MemberStatus, error)
	MemberID() uint64
}

var _ AutopilotCluster = (*store.Store)(nil)

// probeInterval is how often a server's monitor asks every member for its
// status; probeTimeout bounds one ask.
const (
	probeInterval = time.Second
	probeTimeout  = time.Second
)

// stableMark is when a server's health last changed.
type stableMark struct {
	healthy bool
	since   time.Time
}

// Monitor asks every member of the servers' cluster for its status, judges
// its health as Consul's autopilot does, and on the member that leads the
// store removes dead servers when the configuration asks for it. Every
// server runs one (Run); on a client agent, which does not run it, each
// read probes once.
type Monitor struct {
	cluster AutopilotCluster
	clock   clockwork.Clock
	log     *slog.Logger

	passMu sync.Mutex // serializes passes

	mu      sync.Mutex // guards the fields below
	running bool
	obs     map[uint64]Observation
	stable  map[uint64]stableMark
	states  []ServerState
	cfg     store.AutopilotConfig
	err     error // the latest pass's, nil once one succeeds
}

// NewMonitor builds a monitor over cluster.
func NewMonitor(cluster AutopilotCluster, clock clockwork.Clock, log *slog.Logger) *Monitor {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	return &Monitor{cluster: cluster, clock: clock, log: log,
		obs: map[uint64]Observation{}, stable: map[uint64]stableMark{}, err: errors.New("autopilot has not probed the servers yet")}
}

// Run probes the members every second until ctx ends.
func (m *Monitor) Run(ctx context.Context) error {
	m.mu.Lock()
	m.running = true
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.running = false
		m.mu.Unlock()
	}()
	t := m.clock.NewTicker(probeInterval)
	defer t.Stop()
	for {
		if err := m.pass(ctx, true); err != nil && ctx.Err() == nil {
			m.log.Debug("autopilot pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
		}
	}
}

// State is the latest judgement of every server with the configuration
// it used. Without Run, it probes once first.
func (m *Monitor) State(ctx context.Context) ([]ServerState, store.AutopilotConfig, error) {
	m.mu.Lock()
	running := m.running
	m.mu.Unlock()
	if !running {
		if err := m.pass(ctx, false); err != nil {
			return nil, store.AutopilotConfig{}, err
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, store.AutopilotConfig{}, m.err
	}
	return append([]ServerState(nil), m.states...), m.cfg, nil
}

// pass probes every member once, judges each and, with cleanup, removes a
// dead server when this member leads the store.
func (m *Monitor) pass(ctx context.Context, cleanup bool) error {
	m.passMu.Lock()
	defer m.passMu.Unlock()
	cfg, err := m.cluster.AutopilotConfig(ctx)
	if err == nil {
		var servers []store.Server
		if servers, _, err = m.cluster.Servers(ctx); err == nil {
			m.judge(cfg, servers, m.probe(ctx, servers))
		}
	}
	m.mu.Lock()
	m.err = err
	states, obs := append([]ServerState(nil), m.states...), m.copyObs()
	m.mu.Unlock()
	if err != nil || !cleanup {
		return err
	}
	return m.cleanup(ctx, cfg, states, obs)
}

// probe asks each started member for its status, all at once.
func (m *Monitor) probe(ctx context.Context, servers []store.Server) map[uint64]probeResult {
	out := make(map[uint64]probeResult, len(servers))
	var mu sync.Mutex // guards out
	var wg sync.WaitGroup
	for _, sv := range servers {
		if sv.ClientURL == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, probeTimeout)
			defer cancel()
			start := m.clock.Now()
			st, err := m.cluster.MemberStatus(pctx, sv.ClientURL)
			mu.Lock()
			out[sv.ID] = probeResult{status: st, err: err, rtt: m.clock.Since(start)}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

type probeResult struct {
	status store.MemberStatus
	err    error
	rtt    time.Duration
}

// judge folds one round of probes into the observations and states.
func (m *Monitor) judge(cfg store.AutopilotConfig, servers []store.Server, probes map[uint64]probeResult) {
	now := m.clock.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := map[uint64]bool{}
	var leaderIndex uint64
	for _, sv := range servers {
		seen[sv.ID] = true
		ob := m.obs[sv.ID]
		if ob.Since.IsZero() {
			ob.Since = now
		}
		p, probed := probes[sv.ID]
		ob.Answered = probed && p.err == nil
		if ob.Answered {
			ob.LastAnswer, ob.RTT, ob.Status = now, p.rtt, p.status
		}
		m.obs[sv.ID] = ob
		if ob.Answered { // the leader's log is the longest committed one
			leaderIndex = max(leaderIndex, ob.Status.RaftIndex)
		}
	}
	for id := range m.obs {
		if !seen[id] {
			delete(m.obs, id)
			delete(m.stable, id)
		}
	}
	states := make([]ServerState, 0, len(servers))
	for _, sv := range servers {
		st := Assess(cfg, sv, m.obs[sv.ID], leaderIndex, now)
		mark, ok := m.stable[sv.ID]
		if !ok || mark.healthy != st.Healthy {
			mark = stableMark{healthy: st.Healthy, since: now}
			m.stable[sv.ID] = mark
		}
		st.StableSince = mark.since
		states = append(states, st)
	}
	m.states, m.cfg = states, cfg
}

func (m *Monitor) copyObs() map[uint64]Observation {
	out := make(map[uint64]Observation, len(m.obs))
	for id, ob := range m.obs {
		out[id] = ob
	}
	return out
}

// cleanup removes one dead server, only on the member that leads the store.
func (m *Monitor) cleanup(ctx context.Context, cfg store.AutopilotConfig, states []ServerState, obs map[uint64]Observation) error {
	self := m.cluster.MemberID()
	leads := false
	for _, st := range states {
		leads = leads || (st.Leader && st.ID == self)
	}
	if !leads {
		return nil
	}
	sv, ok := DeadServer(cfg, states, obs, m.clock.Now())
	if !ok {
		return nil
	}
	if err := m.cluster.RemoveServer(ctx, sv); err != nil {
		m.log.Warn("autopilot could not remove a dead server", "node", sv.Node, "member", sv.MemberHex(), "err", err)
		return err
	}
	m.log.Info("autopilot removed a dead server", "node", sv.Node, "member", sv.MemberHex(),
		"address", sv.APIAddress(), "unanswered_for", cfg.DeadServerThreshold)
	return nil
}
