package job

import "time"

// Restart says how a client restarts a failed task in place.
type Restart struct {
	Pos             Pos
	Attempts        int
	Interval        time.Duration
	Delay           time.Duration
	Mode            string // fail or delay
	RenderTemplates bool
}

// Restart modes.
const (
	RestartFail  = "fail"
	RestartDelay = "delay"
)

// DefaultRestart returns Nomad's restart policy for a job type.
func DefaultRestart(jobType string) *Restart {
	if jobType == TypeBatch {
		return &Restart{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: RestartFail}
	}
	return &Restart{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: RestartFail}
}

// Reschedule says how the scheduler replaces a failed allocation on another node.
type Reschedule struct {
	Pos           Pos
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string // constant, exponential or fibonacci
	MaxDelay      time.Duration
	Unlimited     bool
}

// DefaultReschedule returns Nomad's reschedule policy for a job type
// (system jobs are not rescheduled: nil).
func DefaultReschedule(jobType string) *Reschedule {
	switch jobType {
	case TypeBatch:
		return &Reschedule{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}
	case TypeSystem:
		return nil
	default:
		return &Reschedule{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}
	}
}

// Update says how a new job version rolls out.
type Update struct {
	Pos              Pos
	MaxParallel      int
	HealthCheck      string // checks, task_states or manual
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	AutoRevert       bool
	AutoPromote      bool
	Canary           int
	Stagger          time.Duration
	// AnomalyGate fails the deployment (and auto_revert applies) when the
	// new version's allocations turn anomalous while the old ones are
	// not (orbit's, not Nomad's: internal/anomaly.Gate).
	AnomalyGate bool
}

// Update health check modes.
const (
	HealthChecks     = "checks"
	HealthTaskStates = "task_states"
	HealthManual     = "manual"
)

// DefaultUpdate returns Nomad's update policy.
func DefaultUpdate() *Update {
	return &Update{
		MaxParallel:      1,
		HealthCheck:      HealthChecks,
		MinHealthyTime:   10 * time.Second,
		HealthyDeadline:  5 * time.Minute,
		ProgressDeadline: 10 * time.Minute,
		Stagger:          30 * time.Second,
	}
}
