package nomadwire

import "time"

// The shapes below are what the server reports: job list stubs and
// summaries, allocations, evaluations, deployments and nodes.

type JobListStub struct {
	ID                string            `json:"ID"`
	ParentID          string            `json:"ParentID"`
	Name              string            `json:"Name"`
	Namespace         string            `json:"Namespace"`
	Datacenters       []string          `json:"Datacenters"`
	Type              string            `json:"Type"`
	Priority          int               `json:"Priority"`
	Periodic          bool              `json:"Periodic"`
	ParameterizedJob  bool              `json:"ParameterizedJob"`
	Stop              bool              `json:"Stop"`
	Status            string            `json:"Status"`
	StatusDescription string            `json:"StatusDescription"`
	JobSummary        *JobSummary       `json:"JobSummary"`
	CreateIndex       uint64            `json:"CreateIndex"`
	ModifyIndex       uint64            `json:"ModifyIndex"`
	JobModifyIndex    uint64            `json:"JobModifyIndex"`
	SubmitTime        int64             `json:"SubmitTime"`
	Meta              map[string]string `json:"Meta,omitempty"`
}

type JobSummary struct {
	JobID       string                                  `json:"JobID"`
	Namespace   string                                  `json:"Namespace"`
	Summary     map[string]GroupSummary                 `json:"Summary"`
	Children    *struct{ Pending, Running, Dead int64 } `json:"Children"`
	CreateIndex uint64                                  `json:"CreateIndex"`
	ModifyIndex uint64                                  `json:"ModifyIndex"`
}

type GroupSummary struct {
	Queued, Complete, Failed, Running, Starting, Lost, Unknown int
}

type Allocation struct {
	ID                 string                `json:"ID"`
	Namespace          string                `json:"Namespace"`
	EvalID             string                `json:"EvalID"`
	Name               string                `json:"Name"`
	NodeID             string                `json:"NodeID"`
	NodeName           string                `json:"NodeName"`
	JobID              string                `json:"JobID"`
	Job                *Job                  `json:"Job,omitempty"`
	JobType            string                `json:"JobType,omitempty"`
	JobVersion         uint64                `json:"JobVersion"`
	TaskGroup          string                `json:"TaskGroup"`
	AllocatedResources *AllocatedResources   `json:"AllocatedResources"`
	DesiredStatus      string                `json:"DesiredStatus"`
	DesiredDescription string                `json:"DesiredDescription"`
	ClientStatus       string                `json:"ClientStatus"`
	ClientDescription  string                `json:"ClientDescription"`
	TaskStates         map[string]*TaskState `json:"TaskStates"`
	DeploymentID       string                `json:"DeploymentID"`
	DeploymentStatus   *AllocHealth          `json:"DeploymentStatus"`
	FollowupEvalID     string                `json:"FollowupEvalID"`
	PreviousAllocation string                `json:"PreviousAllocation"`
	NextAllocation     string                `json:"NextAllocation"`
	RescheduleTracker  *RescheduleTracker    `json:"RescheduleTracker"`
	CreateIndex        uint64                `json:"CreateIndex"`
	ModifyIndex        uint64                `json:"ModifyIndex"`
	AllocModifyIndex   uint64                `json:"AllocModifyIndex"`
	CreateTime         int64                 `json:"CreateTime"`
	ModifyTime         int64                 `json:"ModifyTime"`
}

type AllocatedResources struct {
	Tasks  map[string]*TaskResources `json:"Tasks"`
	Shared SharedResources           `json:"Shared"`
}

type TaskResources struct {
	Cpu    struct{ CpuShares int64 }             `json:"Cpu"`
	Memory struct{ MemoryMB, MemoryMaxMB int64 } `json:"Memory"`
}

type SharedResources struct {
	DiskMB   int64         `json:"DiskMB"`
	Networks []*Network    `json:"Networks"`
	Ports    []PortMapping `json:"Ports"`
}

type PortMapping struct {
	Label  string `json:"Label"`
	Value  int    `json:"Value"`
	To     int    `json:"To"`
	HostIP string `json:"HostIP"`
}

type TaskState struct {
	State       string       `json:"State"`
	Failed      bool         `json:"Failed"`
	Restarts    uint64       `json:"Restarts"`
	LastRestart time.Time    `json:"LastRestart"`
	StartedAt   time.Time    `json:"StartedAt"`
	FinishedAt  time.Time    `json:"FinishedAt"`
	Events      []*TaskEvent `json:"Events"`
}

type TaskEvent struct {
	Type           string            `json:"Type"`
	Time           int64             `json:"Time"`
	DisplayMessage string            `json:"DisplayMessage"`
	Details        map[string]string `json:"Details"`
	Message        string            `json:"Message"`
	ExitCode       int               `json:"ExitCode"`
	Signal         int               `json:"Signal"`
}

type AllocHealth struct {
	Healthy   *bool     `json:"Healthy"`
	Timestamp time.Time `json:"Timestamp"`
	Canary    bool      `json:"Canary"`
}

type RescheduleTracker struct {
	Events []*RescheduleEvent `json:"Events"`
}

type RescheduleEvent struct {
	RescheduleTime int64         `json:"RescheduleTime"`
	PrevAllocID    string        `json:"PrevAllocID"`
	PrevNodeID     string        `json:"PrevNodeID"`
	Delay          time.Duration `json:"Delay"`
}

type Evaluation struct {
	ID                string                  `json:"ID"`
	Priority          int                     `json:"Priority"`
	Type              string                  `json:"Type"`
	TriggeredBy       string                  `json:"TriggeredBy"`
	Namespace         string                  `json:"Namespace"`
	JobID             string                  `json:"JobID"`
	NodeID            string                  `json:"NodeID"`
	DeploymentID      string                  `json:"DeploymentID"`
	Status            string                  `json:"Status"`
	StatusDescription string                  `json:"StatusDescription"`
	WaitUntil         time.Time               `json:"WaitUntil"`
	NextEval          string                  `json:"NextEval"`
	PreviousEval      string                  `json:"PreviousEval"`
	BlockedEval       string                  `json:"BlockedEval"`
	FailedTGAllocs    map[string]*AllocMetric `json:"FailedTGAllocs"`
	QueuedAllocations map[string]int          `json:"QueuedAllocations"`
	CreateIndex       uint64                  `json:"CreateIndex"`
	ModifyIndex       uint64                  `json:"ModifyIndex"`
	CreateTime        int64                   `json:"CreateTime"`
	ModifyTime        int64                   `json:"ModifyTime"`
}

type AllocMetric struct {
	NodesEvaluated     int            `json:"NodesEvaluated"`
	NodesFiltered      int            `json:"NodesFiltered"`
	NodesAvailable     map[string]int `json:"NodesAvailable"`
	ClassFiltered      map[string]int `json:"ClassFiltered"`
	ConstraintFiltered map[string]int `json:"ConstraintFiltered"`
	NodesExhausted     int            `json:"NodesExhausted"`
	DimensionExhausted map[string]int `json:"DimensionExhausted"`
	CoalescedFailures  int            `json:"CoalescedFailures"`
}

type Deployment struct {
	ID                string                      `json:"ID"`
	Namespace         string                      `json:"Namespace"`
	JobID             string                      `json:"JobID"`
	JobVersion        uint64                      `json:"JobVersion"`
	TaskGroups        map[string]*DeploymentState `json:"TaskGroups"`
	Status            string                      `json:"Status"`
	StatusDescription string                      `json:"StatusDescription"`
	CreateIndex       uint64                      `json:"CreateIndex"`
	ModifyIndex       uint64                      `json:"ModifyIndex"`
	CreateTime        int64                       `json:"CreateTime"`
	ModifyTime        int64                       `json:"ModifyTime"`
}

type DeploymentState struct {
	PlacedCanaries    []string      `json:"PlacedCanaries"`
	AutoRevert        bool          `json:"AutoRevert"`
	AutoPromote       bool          `json:"AutoPromote"`
	ProgressDeadline  time.Duration `json:"ProgressDeadline"`
	RequireProgressBy time.Time     `json:"RequireProgressBy"`
	Promoted          bool          `json:"Promoted"`
	DesiredCanaries   int           `json:"DesiredCanaries"`
	DesiredTotal      int           `json:"DesiredTotal"`
	PlacedAllocs      int           `json:"PlacedAllocs"`
	HealthyAllocs     int           `json:"HealthyAllocs"`
	UnhealthyAllocs   int           `json:"UnhealthyAllocs"`
}

type Node struct {
	ID                    string                  `json:"ID"`
	Datacenter            string                  `json:"Datacenter"`
	Name                  string                  `json:"Name"`
	Address               string                  `json:"Address,omitempty"`
	HTTPAddr              string                  `json:"HTTPAddr"`
	Attributes            map[string]string       `json:"Attributes"`
	NodeResources         *NodeResources          `json:"NodeResources"`
	ReservedResources     *NodeResources          `json:"ReservedResources,omitempty"`
	Meta                  map[string]string       `json:"Meta"`
	NodeClass             string                  `json:"NodeClass"`
	NodePool              string                  `json:"NodePool"`
	Version               string                  `json:"Version,omitempty"`
	Drain                 bool                    `json:"Drain"`
	SchedulingEligibility string                  `json:"SchedulingEligibility"`
	DrainStrategy         *DrainStrategy          `json:"DrainStrategy"`
	LastDrain             *DrainMetadata          `json:"LastDrain"`
	Status                string                  `json:"Status"`
	StatusDescription     string                  `json:"StatusDescription"`
	Drivers               map[string]*DriverInfo  `json:"Drivers"`
	HostVolumes           map[string]*HostVolume  `json:"HostVolumes,omitempty"`
	HostNetworks          map[string]*HostNetwork `json:"HostNetworks,omitempty"`
	CreateIndex           uint64                  `json:"CreateIndex"`
	ModifyIndex           uint64                  `json:"ModifyIndex"`
}

type NodeResources struct {
	Cpu          struct{ CpuShares int64 } `json:"Cpu"`
	Memory       struct{ MemoryMB int64 }  `json:"Memory"`
	Disk         struct{ DiskMB int64 }    `json:"Disk"`
	NodeNetworks []*NodeNetwork            `json:"NodeNetworks,omitempty"`
}

// HostNetwork is a client's host_network declaration (Nomad's
// structs.ClientHostNetworkConfig).
type HostNetwork struct {
	Name          string `json:"Name"`
	CIDR          string `json:"CIDR"`
	Interface     string `json:"Interface"`
	ReservedPorts string `json:"ReservedPorts"`
}

// NodeNetwork is one fingerprinted network of a node (Nomad's
// NodeNetworkResource): a device and its addresses, each with the alias
// (host network name) ports pick it by.
type NodeNetwork struct {
	Mode       string                `json:"Mode"`
	Device     string                `json:"Device"`
	MacAddress string                `json:"MacAddress"`
	Speed      int                   `json:"Speed"`
	Addresses  []*NodeNetworkAddress `json:"Addresses"`
}

// NodeNetworkAddress is an address of a NodeNetwork.
type NodeNetworkAddress struct {
	Family        string `json:"Family"`
	Alias         string `json:"Alias"`
	Address       string `json:"Address"`
	ReservedPorts string `json:"ReservedPorts"`
	Gateway       string `json:"Gateway"`
}

type DriverInfo struct {
	Attributes        map[string]string `json:"Attributes"`
	Detected          bool              `json:"Detected"`
	Healthy           bool              `json:"Healthy"`
	HealthDescription string            `json:"HealthDescription"`
	UpdateTime        time.Time         `json:"UpdateTime"`
}

type HostVolume struct {
	Path     string `json:"Path"`
	ReadOnly bool   `json:"ReadOnly"`
}
