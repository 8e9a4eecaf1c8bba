package client

import (
	"fmt"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// restartTracker counts a task's restarts within the restart policy's
// interval, as Nomad's restart tracker does.
type restartTracker struct {
	count       int
	windowStart time.Time
}

// restartDecision is what to do after a task exited.
type restartDecision struct {
	Restart bool
	Delay   time.Duration
	// Failed marks a task that will not run again because it failed (as
	// opposed to a batch task that completed).
	Failed bool
	Reason string
}

// decideRestart applies policy p to an exit at now. Batch tasks that exit
// successfully are done; service and system tasks are restarted whatever
// their exit, as in Nomad. Within one interval at most p.Attempts restarts
// happen; after that mode "fail" gives up and mode "delay" waits for the
// interval to end and starts counting again.
func decideRestart(p *job.Restart, tr restartTracker, jobType string, success bool, now time.Time) (restartTracker, restartDecision) {
	if success && jobType == job.TypeBatch {
		return tr, restartDecision{Reason: "task completed successfully"}
	}
	if tr.windowStart.IsZero() || now.Sub(tr.windowStart) > p.Interval {
		tr = restartTracker{windowStart: now}
	}
	tr.count++
	if tr.count <= p.Attempts {
		return tr, restartDecision{Restart: true, Delay: p.Delay,
			Reason: fmt.Sprintf("restart %d of %d within %v", tr.count, p.Attempts, p.Interval)}
	}
	if p.Mode == job.RestartDelay {
		wait := max(tr.windowStart.Add(p.Interval).Sub(now), p.Delay)
		return restartTracker{}, restartDecision{Restart: true, Delay: wait,
			Reason: fmt.Sprintf("exceeded %d restarts within %v; waiting %v (mode delay)", p.Attempts, p.Interval, wait.Round(time.Millisecond))}
	}
	return tr, restartDecision{Failed: true,
		Reason: fmt.Sprintf("exceeded allowed attempts %d in interval %v and mode is %q", p.Attempts, p.Interval, job.RestartFail)}
}
