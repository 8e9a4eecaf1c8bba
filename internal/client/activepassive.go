package client

import (
	"slices"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

// Active-passive groups: each allocation of a group with an
// active_passive block holds a session of its own and tries to acquire
// the group's lock key with it. The holder's services carry the tag
// primary, the others' standby. This file is the pure part: what to do
// next from what the runner knows and the view shows.

// lockStep is what the lock loop does next.
type lockStep int

const (
	lockIdle    lockStep = iota
	lockCreate           // create this allocation's session
	lockAcquire          // acquire the key (it is free)
	lockRenew            // renew the session before its TTL passes
	lockDestroy          // destroy the session, which releases the key
)

func (s lockStep) String() string {
	return [...]string{"idle", "create", "acquire", "renew", "destroy"}[s]
}

// lockInput is what the lock decision reads.
type lockInput struct {
	// Want: a task of the allocation runs and it is not stopping.
	Want bool
	// Session is the allocation's session, "" when it has none.
	Session string
	// Holder is the session holding the key in the view, "" when free.
	Holder string
	// Now, Renewed (the session's last creation or renewal) and TTL
	// decide when to renew: every third of the TTL.
	Now, Renewed time.Time
	TTL          time.Duration
}

// decideLock returns the next step of the lock loop.
func decideLock(in lockInput) lockStep {
	switch {
	case !in.Want && in.Session != "":
		return lockDestroy
	case !in.Want:
		return lockIdle
	case in.Session == "":
		return lockCreate
	case in.Holder == "":
		return lockAcquire
	case in.Now.Sub(in.Renewed) >= in.TTL/3:
		return lockRenew
	}
	return lockIdle
}

// lockRole is the role of the allocation whose session is session when
// holder holds the key.
func lockRole(session, holder string) string {
	if session != "" && holder == session {
		return catalog.RolePrimary
	}
	return catalog.RoleStandby
}

// withRole returns tags with role added and the other role removed, so a
// service's own tags never contradict its role.
func withRole(tags []string, role string) []string {
	out := make([]string, 0, len(tags)+1)
	for _, t := range tags {
		if t != catalog.RolePrimary && t != catalog.RoleStandby {
			out = append(out, t)
		}
	}
	if !slices.Contains(out, role) {
		out = append(out, role)
	}
	return out
}

// activePassive returns the group's lock key and session TTL, ok false
// for a group without an active_passive block.
func activePassive(a *job.Allocation, g *job.Group) (key string, ttl time.Duration, ok bool) {
	if g == nil || g.ActivePassive == nil {
		return "", 0, false
	}
	key, ttl = g.ActivePassive.Lock, g.ActivePassive.TTL
	if key == "" {
		key = job.DefaultActivePassiveLock(a.Namespace, a.JobID, g.Name)
	}
	if ttl == 0 {
		ttl = job.DefaultActivePassiveTTL
	}
	return key, ttl, true
}
