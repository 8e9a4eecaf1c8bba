package job

import (
	"strconv"
	"time"
)

// Desired statuses of an allocation: what the scheduler wants of it.
const (
	DesiredRun   = "run"
	DesiredStop  = "stop"
	DesiredEvict = "evict"
)

// Client statuses of an allocation: what its node reports.
const (
	ClientPending  = "pending"
	ClientRunning  = "running"
	ClientComplete = "complete"
	ClientFailed   = "failed"
	ClientLost     = "lost"
)

// Task states, as in Nomad.
const (
	TaskPending = "pending"
	TaskRunning = "running"
	TaskDead    = "dead"
)

// Allocation is one placement of a task group on a node, written only by
// the scheduler (key /orbit/allocs/<id>). What the node reports about it is
// a separate AllocStatus, so the two writers never fight over one key.
type Allocation struct {
	ID         string `json:"id"`
	EvalID     string `json:"eval_id"`
	Name       string `json:"name"` // "job.group[index]"
	Index      int    `json:"index"`
	Node       string `json:"node"` // node name, the catalog's key for it
	Namespace  string `json:"namespace"`
	JobID      string `json:"job_id"`
	JobVersion uint64 `json:"job_version"`
	TaskGroup  string `json:"task_group"`

	DesiredStatus      string `json:"desired_status"`
	DesiredDescription string `json:"desired_description,omitempty"`
	// Lost is set by the scheduler when the node stopped being alive while
	// the allocation was not terminal; the allocation then counts as lost
	// whatever its last AllocStatus says.
	Lost bool `json:"lost,omitempty"`

	DeploymentID       string `json:"deployment_id,omitempty"`
	Canary             bool   `json:"canary,omitempty"`
	PreviousAllocation string `json:"previous_allocation,omitempty"`
	NextAllocation     string `json:"next_allocation,omitempty"`
	// RescheduleEvents lists the earlier failed allocations this one
	// replaces, oldest first (Nomad's RescheduleTracker).
	RescheduleEvents []RescheduleEvent `json:"reschedule_events,omitempty"`
	// FollowupEvalID is the delayed evaluation that will reschedule this
	// allocation after it failed.
	FollowupEvalID string `json:"followup_eval_id,omitempty"`

	// Resources is the sum of the tasks' resources; Tasks has each task's.
	Resources AllocResources            `json:"resources"`
	Tasks     map[string]AllocResources `json:"tasks,omitempty"`
	// Ports are the ports the group asks for. Static ones were checked for
	// conflicts by the scheduler; dynamic ones (Static 0) are picked by the
	// client when it starts the allocation and reported in AllocStatus.
	Ports []AllocPort `json:"ports,omitempty"`

	CreateTime time.Time `json:"create_time"`
	ModifyTime time.Time `json:"modify_time"`
}

// AllocResources is what an allocation (or one of its tasks) reserves.
type AllocResources struct {
	CPU         int `json:"cpu"` // MHz
	MemoryMB    int `json:"memory_mb"`
	MemoryMaxMB int `json:"memory_max_mb,omitempty"`
	DiskMB      int `json:"disk_mb,omitempty"`
}

// Add returns r plus o.
func (r AllocResources) Add(o AllocResources) AllocResources {
	return AllocResources{CPU: r.CPU + o.CPU, MemoryMB: r.MemoryMB + o.MemoryMB,
		MemoryMaxMB: r.MemoryMaxMB + o.MemoryMaxMB, DiskMB: r.DiskMB + o.DiskMB}
}

// AllocPort is a port an allocation asks for.
type AllocPort struct {
	Label       string `json:"label"`
	Static      int    `json:"static,omitempty"` // 0: dynamic, picked by the client
	To          int    `json:"to,omitempty"`     // port inside the task's namespace; 0: the host port
	HostNetwork string `json:"host_network,omitempty"`
}

// RescheduleEvent records one reschedule of a failed allocation.
type RescheduleEvent struct {
	Time             time.Time     `json:"time"`
	PrevAlloc        string        `json:"prev_alloc"`
	PrevNode         string        `json:"prev_node"`
	Delay            time.Duration `json:"delay"`
	RescheduleReason string        `json:"reason,omitempty"`
}

// AllocStatus is what a node's client reports about an allocation (key
// /orbit/allocstatus/<id>), written only by that client.
type AllocStatus struct {
	ID                string                `json:"id"` // the allocation's
	Node              string                `json:"node"`
	ClientStatus      string                `json:"client_status"`
	ClientDescription string                `json:"client_description,omitempty"`
	TaskStates        map[string]*TaskState `json:"task_states,omitempty"`
	// Ports are every port of the allocation as bound on the host: static
	// ones as asked, dynamic ones as the client picked them.
	Ports []AllocatedPort `json:"ports,omitempty"`
	// DeploymentStatus is the allocation's health for its deployment, set
	// by the client (see the contract: update.health_check,
	// min_healthy_time, healthy_deadline); nil until decided.
	DeploymentStatus *AllocHealth `json:"deployment_status,omitempty"`
	ModifyTime       time.Time    `json:"modify_time"`
}

// Terminal reports whether the client is done with the allocation.
func (s *AllocStatus) Terminal() bool {
	return s != nil && IsTerminalClientStatus(s.ClientStatus)
}

// IsTerminalClientStatus reports whether a client status is final.
func IsTerminalClientStatus(s string) bool {
	return s == ClientComplete || s == ClientFailed || s == ClientLost
}

// AllocatedPort is a port bound on the node for an allocation.
type AllocatedPort struct {
	Label  string `json:"label"`
	Value  int    `json:"value"` // the host port
	To     int    `json:"to,omitempty"`
	HostIP string `json:"host_ip"`
}

// AllocHealth is an allocation's health within its deployment.
type AllocHealth struct {
	Healthy   bool      `json:"healthy"`
	Timestamp time.Time `json:"timestamp"`
	Canary    bool      `json:"canary,omitempty"`
}

// TaskState is the state of one task of an allocation.
type TaskState struct {
	State       string      `json:"state"` // pending, running or dead
	Failed      bool        `json:"failed"`
	Restarts    int         `json:"restarts"`
	LastRestart time.Time   `json:"last_restart,omitzero"`
	StartedAt   time.Time   `json:"started_at,omitzero"`
	FinishedAt  time.Time   `json:"finished_at,omitzero"`
	Events      []TaskEvent `json:"events,omitempty"` // the last few, oldest first
}

// TaskEvent is something that happened to a task (Nomad's event types:
// "Received", "Task Setup", "Started", "Terminated", "Restarting",
// "Not Restarting", "Killing", "Killed", "Driver Failure", ...).
type TaskEvent struct {
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Message  string    `json:"message,omitempty"`
	ExitCode int       `json:"exit_code,omitempty"`
	Signal   int       `json:"signal,omitempty"`
	OOM      bool      `json:"oom,omitempty"`
}

// AllocName is Nomad's allocation name: "job.group[index]".
func AllocName(jobID, group string, index int) string {
	return jobID + "." + group + "[" + strconv.Itoa(index) + "]"
}

// TerminalDesired reports whether the scheduler no longer wants a to run.
func (a *Allocation) TerminalDesired() bool {
	return a.DesiredStatus == DesiredStop || a.DesiredStatus == DesiredEvict
}

// ClientStatusWith is the allocation's effective client status given its
// node's report (nil when none yet): lost when the scheduler marked it so,
// else the report's status, else pending.
func (a *Allocation) ClientStatusWith(s *AllocStatus) string {
	switch {
	case a.Lost:
		return ClientLost
	case s == nil || s.ClientStatus == "":
		return ClientPending
	default:
		return s.ClientStatus
	}
}

// Terminal reports whether the allocation is over: the scheduler stopped
// it, or the client finished it, or it was lost.
func (a *Allocation) Terminal(s *AllocStatus) bool {
	return a.TerminalDesired() || IsTerminalClientStatus(a.ClientStatusWith(s))
}
