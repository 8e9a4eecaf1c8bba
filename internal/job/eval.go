package job

import "time"

// Evaluation statuses, as in Nomad.
const (
	EvalPending  = "pending"
	EvalComplete = "complete"
	EvalFailed   = "failed"
	EvalBlocked  = "blocked"
	EvalCanceled = "canceled"
)

// What triggered an evaluation, as in Nomad.
const (
	TriggerJobRegister   = "job-register"
	TriggerJobDeregister = "job-deregister"
	TriggerNodeUpdate    = "node-update"
	TriggerNodeDrain     = "node-drain"
	TriggerAllocFailure  = "alloc-failure"
	TriggerRetryFailed   = "failed-follow-up"
	TriggerDeployment    = "deployment-watcher"
	TriggerRollingUpdate = "rolling-update"
	TriggerQueuedAllocs  = "queued-allocs"
	TriggerAllocStop     = "alloc-stop"
	TriggerJobRevert     = "job-revert"
	TriggerScaling       = "job-scaling"
)

// Evaluation is a request to reconcile one job with the cluster (key
// /orbit/evals/<id>). The API creates one when a job is registered or
// stopped; the scheduler creates the others (node loss, failed
// allocations, rolling updates) and records the outcome on it.
type Evaluation struct {
	ID                string    `json:"id"`
	Namespace         string    `json:"namespace"`
	Priority          int       `json:"priority"`
	Type              string    `json:"type"` // the job's type
	TriggeredBy       string    `json:"triggered_by"`
	JobID             string    `json:"job_id"`
	JobVersion        uint64    `json:"job_version"`
	Node              string    `json:"node,omitempty"`
	DeploymentID      string    `json:"deployment_id,omitempty"`
	Status            string    `json:"status"`
	StatusDescription string    `json:"status_description,omitempty"`
	WaitUntil         time.Time `json:"wait_until,omitzero"` // not before: delayed reschedules
	NextEval          string    `json:"next_eval,omitempty"`
	PreviousEval      string    `json:"previous_eval,omitempty"`
	BlockedEval       string    `json:"blocked_eval,omitempty"`
	// FailedTGAllocs explains, per task group, why placements failed.
	FailedTGAllocs map[string]*AllocMetric `json:"failed_tg_allocs,omitempty"`
	// QueuedAllocations counts, per task group, placements still wanted.
	QueuedAllocations map[string]int `json:"queued_allocations,omitempty"`
	// Promote, on an evaluation the API creates for a deployment promote
	// request, says which canaries to promote.
	Promote *Promotion `json:"promote,omitempty"`
	// StopAllocs, on an evaluation the API creates for an allocation stop
	// request, are the allocations to stop and replace (Nomad's
	// DesiredTransition.Migrate).
	StopAllocs []string `json:"stop_allocs,omitempty"`
	// ForceReschedule, on an evaluation the API creates for a job
	// evaluate request, reschedules the job's failed allocations now,
	// whatever the reschedule policy's delay and attempts.
	ForceReschedule bool `json:"force_reschedule,omitempty"`
	// PlacedAllocs and StoppedAllocs count what the evaluation's plan did.
	PlacedAllocs  int `json:"placed_allocs,omitempty"`
	StoppedAllocs int `json:"stopped_allocs,omitempty"`

	CreateTime time.Time `json:"create_time"`
	ModifyTime time.Time `json:"modify_time"`
}

// Promotion asks the scheduler to promote the canaries of a deployment:
// all of its groups, or the named ones.
type Promotion struct {
	DeploymentID string   `json:"deployment_id"`
	All          bool     `json:"all,omitempty"`
	Groups       []string `json:"groups,omitempty"`
}

// Terminal reports whether the evaluation needs no more work.
func (e *Evaluation) Terminal() bool {
	return e.Status == EvalComplete || e.Status == EvalFailed || e.Status == EvalCanceled
}

// AllocMetric explains a placement decision (Nomad's AllocMetric).
type AllocMetric struct {
	NodesEvaluated     int            `json:"nodes_evaluated"`
	NodesFiltered      int            `json:"nodes_filtered"`
	NodesAvailable     map[string]int `json:"nodes_available,omitempty"` // per datacenter
	ClassFiltered      map[string]int `json:"class_filtered,omitempty"`
	ConstraintFiltered map[string]int `json:"constraint_filtered,omitempty"`
	NodesExhausted     int            `json:"nodes_exhausted"`
	DimensionExhausted map[string]int `json:"dimension_exhausted,omitempty"`
	CoalescedFailures  int            `json:"coalesced_failures"`
}
