package client

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
)

// lockTick is how often the lock loop looks at the view (a standby
// acquires a freed key within it) and whether its session needs renewing.
const lockTick = time.Second

// lockLoop contends for key with a session of ttl while the allocation's
// tasks run, and sets the allocation's role, until ctx ends; it destroys
// its session on the way out, which releases the key at once.
func (ar *allocRunner) lockLoop(ctx context.Context, key string, ttl time.Duration) {
	var session string
	var renewed time.Time
	defer func() {
		if session == "" {
			return
		}
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, err := ar.c.store.DestroySession(dctx, session, ar.c.clock.Now()); err != nil {
			ar.log.Error("destroy active-passive session", "session", session, "err", err)
		}
	}()
	tick := ar.c.clock.NewTicker(lockTick)
	defer tick.Stop()
	for {
		// A new session is followed by an acquire in the same pass.
		for range 2 {
			in := lockInput{Want: ar.wantLock(), Session: session, Holder: ar.lockHolder(key),
				Now: ar.c.clock.Now(), Renewed: renewed, TTL: ttl}
			step := decideLock(in)
			if step == lockIdle {
				break
			}
			if err := ar.lockStep(ctx, step, key, ttl, &session, &renewed); err != nil {
				if ctx.Err() == nil {
					ar.log.Error("active-passive lock", "step", step, "key", key, "err", err)
				}
				break
			}
			if step != lockCreate {
				break
			}
		}
		ar.setRole(lockRole(session, ar.lockHolder(key)))
		select {
		case <-ctx.Done():
			return
		case <-tick.Chan():
		case <-ar.lockCh:
		}
	}
}

// lockStep does one step, updating the session and its renewal time.
func (ar *allocRunner) lockStep(ctx context.Context, step lockStep, key string, ttl time.Duration, session *string, renewed *time.Time) error {
	now := ar.c.clock.Now()
	switch step {
	case lockCreate:
		se := &catalog.Session{ID: uuid.NewString(), Name: "orbit active-passive " + ar.id, Node: ar.c.cfg.NodeName,
			Behavior: catalog.BehaviorRelease, TTL: ttl.String()}
		if _, err := ar.c.store.CreateSession(ctx, se, 0); err != nil {
			return err
		}
		*session, *renewed = se.ID, now
	case lockAcquire:
		ok, _, err := ar.c.store.KVAcquire(ctx, key, 0, []byte(ar.id), *session, now)
		if errors.Is(err, store.ErrInvalidSession) {
			*session = "" // expired: a new one next pass
		}
		if err != nil {
			return err
		}
		if ok {
			ar.log.Info("acquired active-passive lock", "key", key, "session", *session)
		}
	case lockRenew:
		if _, err := ar.c.store.RenewSession(ctx, *session); err != nil {
			if errors.Is(err, store.ErrSessionNotFound) {
				*session = ""
			}
			return err
		}
		*renewed = now
	case lockDestroy:
		if _, err := ar.c.store.DestroySession(ctx, *session, now); err != nil {
			return err
		}
		*session = ""
	}
	return nil
}

// wantLock: a task runs and the allocation's services may be registered.
func (ar *allocRunner) wantLock() bool {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	if ar.stopping {
		return false
	}
	for _, ts := range ar.status.TaskStates {
		if ts.State == job.TaskRunning {
			return true
		}
	}
	return false
}

// lockHolder is the session holding key in the view, "" when free.
func (ar *allocRunner) lockHolder(key string) string {
	if e, ok := ar.c.view.KV(key); ok {
		return e.Session
	}
	return ""
}

// setRole records the allocation's role and wakes the allocation loop
// to re-register its services when it changed.
func (ar *allocRunner) setRole(role string) {
	ar.mu.Lock()
	changed := ar.role != role
	ar.role = role
	ar.mu.Unlock()
	if changed {
		ar.log.Info("active-passive role", "role", role)
		signal(ar.roleCh)
	}
}
