package nomadwire

import "time"

// NodeUpdateEligibilityRequest is the body of PUT /v1/node/:id/eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string `json:"NodeID"`
	Eligibility string `json:"Eligibility"`
}

// NodeUpdateDrainRequest is the body of PUT /v1/node/:id/drain.
type NodeUpdateDrainRequest struct {
	NodeID       string            `json:"NodeID"`
	DrainSpec    *DrainSpec        `json:"DrainSpec"`
	MarkEligible bool              `json:"MarkEligible"`
	Meta         map[string]string `json:"Meta"`
}

// DrainSpec is what the operator asks of a drain (Deadline in nanoseconds).
type DrainSpec struct {
	Deadline         time.Duration `json:"Deadline"`
	IgnoreSystemJobs bool          `json:"IgnoreSystemJobs"`
}

// DrainStrategy is a node's running drain.
type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time `json:"ForceDeadline"`
	StartedAt     time.Time `json:"StartedAt"`
}

// DrainMetadata is a node's last drain.
type DrainMetadata struct {
	StartedAt  time.Time         `json:"StartedAt"`
	UpdatedAt  time.Time         `json:"UpdatedAt"`
	Status     string            `json:"Status"`
	AccessorID string            `json:"AccessorID"`
	Meta       map[string]string `json:"Meta"`
}

// NodeUpdateResponse answers eligibility, drain, evaluate and purge
// (Nomad's NodeEligibilityUpdateResponse, NodeDrainUpdateResponse,
// NodePurgeResponse and NodeUpdateResponse share these fields).
type NodeUpdateResponse struct {
	EvalIDs         []string `json:"EvalIDs"`
	EvalCreateIndex uint64   `json:"EvalCreateIndex"`
	NodeModifyIndex uint64   `json:"NodeModifyIndex"`
	Index           uint64   `json:"Index"`
}
