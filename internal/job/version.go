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
	Job    *Job   `json:"job"`
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
}
