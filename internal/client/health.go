package client

import (
	"time"

	"github.com/orbit/orbit/internal/job"
)

// healthInput is what a deployment-health decision looks at.
type healthInput struct {
	Mode       string // update.health_check
	MinHealthy time.Duration
	Deadline   time.Duration
	Started    time.Time // the allocation started running its tasks
	// RunningSince is when every task was last seen running continuously
	// (zero when one is not running).
	RunningSince time.Time
	// Unhealthy is set once a task failed or restarted before a decision.
	Unhealthy bool
	HasChecks bool
	// PassingSince is when every check of the allocation's services last
	// became passing (zero when one is not passing).
	PassingSince time.Time
}

// decideHealth decides an allocation's deployment health at now. When it
// cannot decide yet it returns the time to look again (zero: on the next
// change).
func decideHealth(in healthInput, now time.Time) (decided, healthy bool, recheck time.Time) {
	if in.Mode == job.HealthManual {
		return false, false, time.Time{}
	}
	if in.Unhealthy {
		return true, false, time.Time{}
	}
	if in.Deadline > 0 && !in.Started.IsZero() && !now.Before(in.Started.Add(in.Deadline)) {
		return true, false, time.Time{}
	}
	since := in.RunningSince
	if in.Mode != job.HealthTaskStates && in.HasChecks {
		if in.PassingSince.IsZero() {
			since = time.Time{}
		} else if in.PassingSince.After(since) {
			since = in.PassingSince
		}
	}
	deadlineAt := time.Time{}
	if in.Deadline > 0 && !in.Started.IsZero() {
		deadlineAt = in.Started.Add(in.Deadline)
	}
	if since.IsZero() {
		return false, false, deadlineAt
	}
	at := since.Add(in.MinHealthy)
	if !now.Before(at) {
		return true, true, time.Time{}
	}
	if !deadlineAt.IsZero() && deadlineAt.Before(at) {
		return false, false, deadlineAt
	}
	return false, false, at
}
