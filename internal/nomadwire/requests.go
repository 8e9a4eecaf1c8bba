package nomadwire

// RegisterRequest is Nomad's JobRegisterRequest (PUT /v1/jobs).
type RegisterRequest struct {
	Job            *Job
	EnforceIndex   bool
	JobModifyIndex uint64
	EvalPriority   int
	// PreserveCounts keeps the running groups' counts, PreserveResources
	// their tasks' resources; Submission is the source the job came from.
	PreserveCounts    bool
	PreserveResources bool
	Submission        *Submission
}

// RegisterResponse is Nomad's JobRegisterResponse, also the answer to a
// revert and a stop (deregister).
type RegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	Index           uint64
	LastContact     int64
	KnownLeader     bool
}

// PlanRequest is Nomad's JobPlanRequest (PUT /v1/job/:id/plan).
type PlanRequest struct {
	Job  *Job
	Diff bool
}

// PlanResponse is Nomad's JobPlanResponse, with orbit's placements.
type PlanResponse struct {
	JobModifyIndex uint64
	CreatedEvals   []any
	Diff           *JobDiff
	Annotations    PlanAnnotations
	FailedTGAllocs map[string]*AllocMetric
	Warnings       string
	// Placements lists, per group, the nodes new allocations would go to
	// (an orbit extension the CLI shows).
	Placements map[string][]string
}

// PlanAnnotations is Nomad's PlanAnnotations.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
}

// DesiredUpdates counts, per group, what a plan would do.
type DesiredUpdates struct {
	Ignore, Place, Migrate, Stop, InPlaceUpdate, DestructiveUpdate, Canary, Preemptions uint64
}

// JobDiff is Nomad's JobDiff, flattened: every changed field of the job
// spec by its path ("TaskGroups[web].Count").
type JobDiff struct {
	Type       string // Added, Deleted, Edited or None
	ID         string
	Fields     []*FieldDiff
	Objects    []any
	TaskGroups []any
}

// FieldDiff is one changed field of a JobDiff.
type FieldDiff struct {
	Type        string // Added, Deleted or Edited
	Name        string
	Old, New    string
	Annotations []string
}

// JobVersions is the answer to GET /v1/job/:id/versions: the versions
// newest first and, with diffs=true, each one's diff against the next
// older one.
type JobVersions struct {
	Versions []*Job
	Diffs    []*JobDiff
}

// DeploymentPromoteRequest is Nomad's DeploymentPromoteRequest (PUT
// /v1/deployment/promote/:id): every group (All) or the named ones.
type DeploymentPromoteRequest struct {
	DeploymentID string
	All          bool
	Groups       []string
}

// DeploymentUpdateResponse is Nomad's DeploymentUpdateResponse, the answer
// to a deployment promotion.
type DeploymentUpdateResponse struct {
	EvalID                string
	EvalCreateIndex       uint64
	DeploymentModifyIndex uint64
	RevertedJobVersion    *uint64
	Index                 uint64
}
