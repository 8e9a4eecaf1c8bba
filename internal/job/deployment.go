package job

import "time"

// Deployment statuses, as in Nomad.
const (
	DeploymentRunning    = "running"
	DeploymentSuccessful = "successful"
	DeploymentFailed     = "failed"
	DeploymentCancelled  = "cancelled"
	DeploymentPaused     = "paused"
)

// Deployment is the rolling rollout of one job version (key
// /orbit/deployments/<id>), written only by the scheduler.
type Deployment struct {
	ID                string                      `json:"id"`
	Namespace         string                      `json:"namespace"`
	JobID             string                      `json:"job_id"`
	JobVersion        uint64                      `json:"job_version"`
	Status            string                      `json:"status"`
	StatusDescription string                      `json:"status_description,omitempty"`
	TaskGroups        map[string]*DeploymentState `json:"task_groups"`
	// RevertedTo is the version the deployment's failure reverted the job
	// to (auto_revert), when it did.
	RevertedTo *uint64 `json:"reverted_to,omitempty"`

	CreateTime time.Time `json:"create_time"`
	ModifyTime time.Time `json:"modify_time"`
}

// Active reports whether the deployment is still rolling out.
func (d *Deployment) Active() bool {
	return d.Status == DeploymentRunning || d.Status == DeploymentPaused
}

// DeploymentState is the progress of one task group in a deployment.
type DeploymentState struct {
	AutoRevert        bool          `json:"auto_revert"`
	AutoPromote       bool          `json:"auto_promote"`
	AnomalyGate       bool          `json:"anomaly_gate,omitempty"`
	Promoted          bool          `json:"promoted"`
	ProgressDeadline  time.Duration `json:"progress_deadline"`
	RequireProgressBy time.Time     `json:"require_progress_by,omitzero"`
	DesiredCanaries   int           `json:"desired_canaries"`
	DesiredTotal      int           `json:"desired_total"`
	PlacedAllocs      int           `json:"placed_allocs"`
	HealthyAllocs     int           `json:"healthy_allocs"`
	UnhealthyAllocs   int           `json:"unhealthy_allocs"`
	PlacedCanaries    []string      `json:"placed_canaries,omitempty"`
}
