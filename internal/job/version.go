package job

import "time"

// Job statuses, as in Nomad.
const (
	JobPending = "pending"
	JobRunning = "running"
	JobDead    = "dead"
)

// Version is one stored version of a job (key
// /orbit/jobs/<ns>/<id>/<version>): the job as submitted and what the
// cluster learned about it. Versions count from 0; a registration whose job
// is unchanged keeps the version.
type Version struct {
	Version    uint64    `json:"version"`
	Stable     bool      `json:"stable"` // a deployment of it succeeded
	SubmitTime time.Time `json:"submit_time"`
	// Warnings are the admission warnings recorded at registration.
	Warnings []string `json:"warnings,omitempty"`
	// Source is the job file text when the job came from one (may be empty).
	Source string `json:"source,omitempty"`
	// SourceFormat ("hcl2", "json") and the variables the source was
	// parsed with come with Source from a Nomad client's submission.
	SourceFormat  string            `json:"source_format,omitempty"`
	Variables     string            `json:"variables,omitempty"`
	VariableFlags map[string]string `json:"variable_flags,omitempty"`
	Job           *Job              `json:"job"`
}

// Head is a job's current state (key /orbit/jobhead/<ns>/<id>): which
// version is current and whether the job is stopped. The API writes it on
// register, stop and revert; the scheduler writes Status.
type Head struct {
	Namespace  string    `json:"namespace"`
	ID         string    `json:"id"`
	Version    uint64    `json:"version"`
	Stopped    bool      `json:"stopped"`
	Status     string    `json:"status"` // pending, running or dead
	SubmitTime time.Time `json:"submit_time"`
	CreateTime time.Time `json:"create_time"`
	// ScalingEvents are the latest scaling requests per group, newest
	// first, at most MaxScalingEvents each.
	ScalingEvents map[string][]ScalingEvent `json:"scaling_events,omitempty"`
}

// MaxScalingEvents is how many scaling events a group keeps (Nomad's).
const MaxScalingEvents = 20

// ScalingEvent is one scaling request of a group: a count change or, with
// Count nil, a message (an autoscaler's error report).
type ScalingEvent struct {
	Time          time.Time      `json:"time"`
	Count         *int64         `json:"count,omitempty"`
	PreviousCount int64          `json:"previous_count"`
	Message       string         `json:"message,omitempty"`
	Error         bool           `json:"error,omitempty"`
	Meta          map[string]any `json:"meta,omitempty"`
	EvalID        string         `json:"eval_id,omitempty"`
}

// AddScalingEvent records e for group, newest first, keeping the latest
// MaxScalingEvents.
func (h *Head) AddScalingEvent(group string, e ScalingEvent) {
	if h.ScalingEvents == nil {
		h.ScalingEvents = map[string][]ScalingEvent{}
	}
	list := append([]ScalingEvent{e}, h.ScalingEvents[group]...)
	if len(list) > MaxScalingEvents {
		list = list[:MaxScalingEvents]
	}
	h.ScalingEvents[group] = list
}
