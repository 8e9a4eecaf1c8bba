package nomadwire

// ValidateRequest is Nomad's JobValidateRequest (PUT /v1/validate/job).
type ValidateRequest struct {
	Job *Job
}

// ValidateResponse is Nomad's JobValidateResponse: a job that does not
// validate is still a 200, with its problems listed.
type ValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}

// EvaluateRequest is Nomad's JobEvaluateRequest (PUT /v1/job/:id/evaluate).
type EvaluateRequest struct {
	JobID       string
	EvalOptions struct{ ForceReschedule bool }
}

// Submission is Nomad's JobSubmission: the source a job version was
// registered from.
type Submission struct {
	Source        string
	Format        string
	VariableFlags map[string]string
	Variables     string
}

// ScalingRequest is Nomad's ScalingRequest (PUT /v1/job/:id/scale).
type ScalingRequest struct {
	Count          *int64
	Target         map[string]string
	Message        string
	Error          bool
	Meta           map[string]any
	PolicyOverride bool
	JobModifyIndex uint64
}

// ScaleStatus is Nomad's JobScaleStatusResponse (GET /v1/job/:id/scale).
type ScaleStatus struct {
	JobID          string
	Namespace      string
	JobCreateIndex uint64
	JobModifyIndex uint64
	JobStopped     bool
	TaskGroups     map[string]GroupScaleStatus
}

// GroupScaleStatus is Nomad's TaskGroupScaleStatus.
type GroupScaleStatus struct {
	Desired, Placed, Running, Healthy, Unhealthy int
	Events                                       []ScalingEvent
}

// ScalingEvent is Nomad's ScalingEvent.
type ScalingEvent struct {
	Count         *int64
	PreviousCount int64
	Error         bool
	Message       string
	Meta          map[string]any
	EvalID        *string
	Time          uint64
	CreateIndex   uint64
}
