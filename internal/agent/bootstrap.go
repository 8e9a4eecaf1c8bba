package agent

import (
	"context"
	"log/slog"
	"time"

	"github.com/orbit/orbit/internal/store"
)

// memberLister is the part of the store the bootstrap wait reads.
type memberLister interface {
	Members(ctx context.Context) ([]store.Member, error)
}

var _ memberLister = (*store.Store)(nil)

// bootstrapped reports how many of members are voters and whether they
// reach expect (Consul's -bootstrap-expect): learners still catching up do
// not count.
func bootstrapped(members []store.Member, expect int) (voters int, done bool) {
	for _, m := range members {
		if !m.Learner && m.Name != "" {
			voters++
		}
	}
	return voters, voters >= expect
}

// awaitBootstrap waits until the store has expect voting members or ctx
// ends, polling every interval and logging progress when it changes and
// every tenth poll. With expect below 2 it returns at once. A server that
// restarts into a cluster that already has them returns on the first poll.
func awaitBootstrap(ctx context.Context, st memberLister, expect int, interval time.Duration, log *slog.Logger) error {
	if expect < 2 {
		return nil
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	last := -1
	for polls := 0; ; polls++ {
		mctx, cancel := context.WithTimeout(ctx, interval+time.Second)
		ms, err := st.Members(mctx)
		cancel()
		voters, done := bootstrapped(ms, expect)
		switch {
		case err == nil && done:
			log.Info("servers bootstrapped; leader-only loops start", "servers", voters, "bootstrap_expect", expect)
			return nil
		case err != nil && (polls%10 == 0):
			log.Warn("waiting for the servers' store to answer before leader-only loops start", "err", err)
		case err == nil && (voters != last || polls%10 == 0):
			log.Info("waiting for servers to join before leader-only loops start", "servers", voters, "bootstrap_expect", expect)
			last = voters
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// afterBootstrap runs f once the cluster has its expected servers; until
// then it waits (returning nil if ctx ends first).
func (a *Agent) afterBootstrap(f func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := awaitBootstrap(ctx, a.store, a.cfg.BootstrapExpect, time.Second, a.log.With("component", "bootstrap")); err != nil {
			return nil // only ctx ends the wait
		}
		return f(ctx)
	}
}
