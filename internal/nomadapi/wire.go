package nomadapi

import "time"

// The types below are Nomad's JSON shapes (field names as the
// github.com/hashicorp/nomad/api client reads and writes them), limited to
// what orbit supports. Durations are nanoseconds, as in Nomad.

type wJob struct {
	Region            string            `json:"Region,omitempty"`
	Namespace         string            `json:"Namespace,omitempty"`
	ID                string            `json:"ID"`
	Name              string            `json:"Name"`
	Type              string            `json:"Type"`
	Priority          int               `json:"Priority"`
	AllAtOnce         bool              `json:"AllAtOnce"`
	Datacenters       []string          `json:"Datacenters"`
	NodePool          string            `json:"NodePool,omitempty"`
	Constraints       []*wConstraint    `json:"Constraints"`
	Affinities        []*wAffinity      `json:"Affinities"`
	TaskGroups        []*wTaskGroup     `json:"TaskGroups"`
	Update            *wUpdate          `json:"Update,omitempty"`
	Spreads           []*wSpread        `json:"Spreads"`
	Periodic          any               `json:"Periodic,omitempty"`
	ParameterizedJob  any               `json:"ParameterizedJob,omitempty"`
	Reschedule        *wReschedule      `json:"Reschedule,omitempty"`
	Meta              map[string]string `json:"Meta"`
	Stop              bool              `json:"Stop"`
	Status            string            `json:"Status"`
	StatusDescription string            `json:"StatusDescription"`
	Stable            bool              `json:"Stable"`
	Version           uint64            `json:"Version"`
	SubmitTime        int64             `json:"SubmitTime"`
	CreateIndex       uint64            `json:"CreateIndex"`
	ModifyIndex       uint64            `json:"ModifyIndex"`
	JobModifyIndex    uint64            `json:"JobModifyIndex"`
}

type wConstraint struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
}

type wAffinity struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
	Weight  *int8  `json:"Weight,omitempty"`
}

type wSpread struct {
	Attribute    string           `json:"Attribute"`
	Weight       *int8            `json:"Weight,omitempty"`
	SpreadTarget []*wSpreadTarget `json:"SpreadTarget"`
}

type wSpreadTarget struct {
	Value   string `json:"Value"`
	Percent uint8  `json:"Percent"`
}

type wUpdate struct {
	Stagger          *time.Duration `json:"Stagger,omitempty"`
	MaxParallel      *int           `json:"MaxParallel,omitempty"`
	HealthCheck      *string        `json:"HealthCheck,omitempty"`
	MinHealthyTime   *time.Duration `json:"MinHealthyTime,omitempty"`
	HealthyDeadline  *time.Duration `json:"HealthyDeadline,omitempty"`
	ProgressDeadline *time.Duration `json:"ProgressDeadline,omitempty"`
	Canary           *int           `json:"Canary,omitempty"`
	AutoRevert       *bool          `json:"AutoRevert,omitempty"`
	AutoPromote      *bool          `json:"AutoPromote,omitempty"`
}

type wRestart struct {
	Interval        *time.Duration `json:"Interval,omitempty"`
	Attempts        *int           `json:"Attempts,omitempty"`
	Delay           *time.Duration `json:"Delay,omitempty"`
	Mode            *string        `json:"Mode,omitempty"`
	RenderTemplates *bool          `json:"RenderTemplates,omitempty"`
}

type wReschedule struct {
	Attempts      *int           `json:"Attempts,omitempty"`
	Interval      *time.Duration `json:"Interval,omitempty"`
	Delay         *time.Duration `json:"Delay,omitempty"`
	DelayFunction *string        `json:"DelayFunction,omitempty"`
	MaxDelay      *time.Duration `json:"MaxDelay,omitempty"`
	Unlimited     *bool          `json:"Unlimited,omitempty"`
}

type wTaskGroup struct {
	Name             string                     `json:"Name"`
	Count            *int                       `json:"Count,omitempty"`
	Constraints      []*wConstraint             `json:"Constraints"`
	Affinities       []*wAffinity               `json:"Affinities"`
	Tasks            []*wTask                   `json:"Tasks"`
	Spreads          []*wSpread                 `json:"Spreads"`
	Volumes          map[string]*wVolumeRequest `json:"Volumes,omitempty"`
	RestartPolicy    *wRestart                  `json:"RestartPolicy,omitempty"`
	ReschedulePolicy *wReschedule               `json:"ReschedulePolicy,omitempty"`
	Update           *wUpdate                   `json:"Update,omitempty"`
	Networks         []*wNetwork                `json:"Networks"`
	Meta             map[string]string          `json:"Meta"`
	Services         []*wService                `json:"Services"`
	ShutdownDelay    *time.Duration             `json:"ShutdownDelay,omitempty"`
}

type wVolumeRequest struct {
	Name     string `json:"Name"`
	Type     string `json:"Type"`
	Source   string `json:"Source"`
	ReadOnly bool   `json:"ReadOnly"`
}

type wNetwork struct {
	Mode          string  `json:"Mode"`
	IP            string  `json:"IP,omitempty"`
	ReservedPorts []wPort `json:"ReservedPorts"`
	DynamicPorts  []wPort `json:"DynamicPorts"`
}

type wPort struct {
	Label       string `json:"Label"`
	Value       int    `json:"Value"`
	To          int    `json:"To"`
	HostNetwork string `json:"HostNetwork"`
}

type wService struct {
	Name        string            `json:"Name"`
	Tags        []string          `json:"Tags"`
	CanaryTags  []string          `json:"CanaryTags"`
	PortLabel   string            `json:"PortLabel"`
	AddressMode string            `json:"AddressMode"`
	Address     string            `json:"Address"`
	Checks      []wCheck          `json:"Checks"`
	Meta        map[string]string `json:"Meta"`
	TaskName    string            `json:"TaskName"`
	Provider    string            `json:"Provider"`
	Identity    *wIdentity        `json:"Identity,omitempty"`
}

// wIdentity is Nomad's WorkloadIdentity (a service's identity block).
type wIdentity struct {
	Name         string        `json:"Name,omitempty"`
	Audience     []string      `json:"Audience"`
	ChangeMode   string        `json:"ChangeMode,omitempty"`
	ChangeSignal string        `json:"ChangeSignal,omitempty"`
	Env          bool          `json:"Env,omitempty"`
	File         bool          `json:"File,omitempty"`
	ServiceName  string        `json:"ServiceName,omitempty"`
	TTL          time.Duration `json:"TTL,omitempty"`
}

type wCheck struct {
	Name                   string              `json:"Name"`
	Type                   string              `json:"Type"`
	Command                string              `json:"Command"`
	Args                   []string            `json:"Args"`
	Path                   string              `json:"Path"`
	Protocol               string              `json:"Protocol"`
	PortLabel              string              `json:"PortLabel"`
	Interval               time.Duration       `json:"Interval"`
	Timeout                time.Duration       `json:"Timeout"`
	InitialStatus          string              `json:"InitialStatus"`
	TLSServerName          string              `json:"TLSServerName"`
	TLSSkipVerify          bool                `json:"TLSSkipVerify"`
	Header                 map[string][]string `json:"Header"`
	Method                 string              `json:"Method"`
	GRPCService            string              `json:"GRPCService"`
	GRPCUseTLS             bool                `json:"GRPCUseTLS"`
	TaskName               string              `json:"TaskName"`
	SuccessBeforePassing   int                 `json:"SuccessBeforePassing"`
	FailuresBeforeCritical int                 `json:"FailuresBeforeCritical"`
	FailuresBeforeWarning  int                 `json:"FailuresBeforeWarning"`
	Body                   string              `json:"Body"`
	OnUpdate               string              `json:"OnUpdate"`
}

type wTask struct {
	Name          string            `json:"Name"`
	Driver        string            `json:"Driver"`
	User          string            `json:"User"`
	Lifecycle     *wLifecycle       `json:"Lifecycle,omitempty"`
	Config        map[string]any    `json:"Config"`
	Constraints   []*wConstraint    `json:"Constraints"`
	Affinities    []*wAffinity      `json:"Affinities"`
	Env           map[string]string `json:"Env"`
	Services      []*wService       `json:"Services"`
	Resources     *wResources       `json:"Resources,omitempty"`
	RestartPolicy *wRestart         `json:"RestartPolicy,omitempty"`
	Meta          map[string]string `json:"Meta"`
	KillTimeout   *time.Duration    `json:"KillTimeout,omitempty"`
	LogConfig     *wLogConfig       `json:"LogConfig,omitempty"`
	Artifacts     []any             `json:"Artifacts"`
	Templates     []*wTemplate      `json:"Templates"`
	VolumeMounts  []*wVolumeMount   `json:"VolumeMounts"`
	Leader        bool              `json:"Leader"`
	ShutdownDelay time.Duration     `json:"ShutdownDelay"`
	KillSignal    string            `json:"KillSignal"`
}

type wLifecycle struct {
	Hook    string `json:"Hook"`
	Sidecar bool   `json:"Sidecar"`
}

type wResources struct {
	CPU         *int `json:"CPU,omitempty"`
	Cores       *int `json:"Cores,omitempty"`
	MemoryMB    *int `json:"MemoryMB,omitempty"`
	MemoryMaxMB *int `json:"MemoryMaxMB,omitempty"`
	DiskMB      *int `json:"DiskMB,omitempty"`
}

type wLogConfig struct {
	MaxFiles      *int `json:"MaxFiles,omitempty"`
	MaxFileSizeMB *int `json:"MaxFileSizeMB,omitempty"`
}

type wTemplate struct {
	SourcePath   *string        `json:"SourcePath,omitempty"`
	DestPath     *string        `json:"DestPath,omitempty"`
	EmbeddedTmpl *string        `json:"EmbeddedTmpl,omitempty"`
	ChangeMode   *string        `json:"ChangeMode,omitempty"`
	ChangeSignal *string        `json:"ChangeSignal,omitempty"`
	Splay        *time.Duration `json:"Splay,omitempty"`
	Perms        *string        `json:"Perms,omitempty"`
	LeftDelim    *string        `json:"LeftDelim,omitempty"`
	RightDelim   *string        `json:"RightDelim,omitempty"`
	Envvars      *bool          `json:"Envvars,omitempty"`
}

type wVolumeMount struct {
	Volume      *string `json:"Volume,omitempty"`
	Destination *string `json:"Destination,omitempty"`
	ReadOnly    *bool   `json:"ReadOnly,omitempty"`
}

type wJobListStub struct {
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
	JobSummary        *wJobSummary      `json:"JobSummary"`
	CreateIndex       uint64            `json:"CreateIndex"`
	ModifyIndex       uint64            `json:"ModifyIndex"`
	JobModifyIndex    uint64            `json:"JobModifyIndex"`
	SubmitTime        int64             `json:"SubmitTime"`
	Meta              map[string]string `json:"Meta,omitempty"`
}

type wJobSummary struct {
	JobID       string                                  `json:"JobID"`
	Namespace   string                                  `json:"Namespace"`
	Summary     map[string]wGroupSummary                `json:"Summary"`
	Children    *struct{ Pending, Running, Dead int64 } `json:"Children"`
	CreateIndex uint64                                  `json:"CreateIndex"`
	ModifyIndex uint64                                  `json:"ModifyIndex"`
}

type wGroupSummary struct {
	Queued, Complete, Failed, Running, Starting, Lost, Unknown int
}

type wAllocation struct {
	ID                 string                 `json:"ID"`
	Namespace          string                 `json:"Namespace"`
	EvalID             string                 `json:"EvalID"`
	Name               string                 `json:"Name"`
	NodeID             string                 `json:"NodeID"`
	NodeName           string                 `json:"NodeName"`
	JobID              string                 `json:"JobID"`
	Job                *wJob                  `json:"Job,omitempty"`
	JobType            string                 `json:"JobType,omitempty"`
	JobVersion         uint64                 `json:"JobVersion"`
	TaskGroup          string                 `json:"TaskGroup"`
	AllocatedResources *wAllocatedResources   `json:"AllocatedResources"`
	DesiredStatus      string                 `json:"DesiredStatus"`
	DesiredDescription string                 `json:"DesiredDescription"`
	ClientStatus       string                 `json:"ClientStatus"`
	ClientDescription  string                 `json:"ClientDescription"`
	TaskStates         map[string]*wTaskState `json:"TaskStates"`
	DeploymentID       string                 `json:"DeploymentID"`
	DeploymentStatus   *wAllocHealth          `json:"DeploymentStatus"`
	FollowupEvalID     string                 `json:"FollowupEvalID"`
	PreviousAllocation string                 `json:"PreviousAllocation"`
	NextAllocation     string                 `json:"NextAllocation"`
	RescheduleTracker  *wRescheduleTracker    `json:"RescheduleTracker"`
	CreateIndex        uint64                 `json:"CreateIndex"`
	ModifyIndex        uint64                 `json:"ModifyIndex"`
	AllocModifyIndex   uint64                 `json:"AllocModifyIndex"`
	CreateTime         int64                  `json:"CreateTime"`
	ModifyTime         int64                  `json:"ModifyTime"`
}

type wAllocatedResources struct {
	Tasks  map[string]*wTaskResources `json:"Tasks"`
	Shared wSharedResources           `json:"Shared"`
}

type wTaskResources struct {
	Cpu    struct{ CpuShares int64 }             `json:"Cpu"`
	Memory struct{ MemoryMB, MemoryMaxMB int64 } `json:"Memory"`
}

type wSharedResources struct {
	DiskMB   int64          `json:"DiskMB"`
	Networks []*wNetwork    `json:"Networks"`
	Ports    []wPortMapping `json:"Ports"`
}

type wPortMapping struct {
	Label  string `json:"Label"`
	Value  int    `json:"Value"`
	To     int    `json:"To"`
	HostIP string `json:"HostIP"`
}

type wTaskState struct {
	State       string        `json:"State"`
	Failed      bool          `json:"Failed"`
	Restarts    uint64        `json:"Restarts"`
	LastRestart time.Time     `json:"LastRestart"`
	StartedAt   time.Time     `json:"StartedAt"`
	FinishedAt  time.Time     `json:"FinishedAt"`
	Events      []*wTaskEvent `json:"Events"`
}

type wTaskEvent struct {
	Type           string            `json:"Type"`
	Time           int64             `json:"Time"`
	DisplayMessage string            `json:"DisplayMessage"`
	Details        map[string]string `json:"Details"`
	Message        string            `json:"Message"`
	ExitCode       int               `json:"ExitCode"`
	Signal         int               `json:"Signal"`
}

type wAllocHealth struct {
	Healthy   *bool     `json:"Healthy"`
	Timestamp time.Time `json:"Timestamp"`
	Canary    bool      `json:"Canary"`
}

type wRescheduleTracker struct {
	Events []*wRescheduleEvent `json:"Events"`
}

type wRescheduleEvent struct {
	RescheduleTime int64         `json:"RescheduleTime"`
	PrevAllocID    string        `json:"PrevAllocID"`
	PrevNodeID     string        `json:"PrevNodeID"`
	Delay          time.Duration `json:"Delay"`
}

type wEvaluation struct {
	ID                string                   `json:"ID"`
	Priority          int                      `json:"Priority"`
	Type              string                   `json:"Type"`
	TriggeredBy       string                   `json:"TriggeredBy"`
	Namespace         string                   `json:"Namespace"`
	JobID             string                   `json:"JobID"`
	NodeID            string                   `json:"NodeID"`
	DeploymentID      string                   `json:"DeploymentID"`
	Status            string                   `json:"Status"`
	StatusDescription string                   `json:"StatusDescription"`
	WaitUntil         time.Time                `json:"WaitUntil"`
	NextEval          string                   `json:"NextEval"`
	PreviousEval      string                   `json:"PreviousEval"`
	BlockedEval       string                   `json:"BlockedEval"`
	FailedTGAllocs    map[string]*wAllocMetric `json:"FailedTGAllocs"`
	QueuedAllocations map[string]int           `json:"QueuedAllocations"`
	CreateIndex       uint64                   `json:"CreateIndex"`
	ModifyIndex       uint64                   `json:"ModifyIndex"`
	CreateTime        int64                    `json:"CreateTime"`
	ModifyTime        int64                    `json:"ModifyTime"`
}

type wAllocMetric struct {
	NodesEvaluated     int            `json:"NodesEvaluated"`
	NodesFiltered      int            `json:"NodesFiltered"`
	NodesAvailable     map[string]int `json:"NodesAvailable"`
	ClassFiltered      map[string]int `json:"ClassFiltered"`
	ConstraintFiltered map[string]int `json:"ConstraintFiltered"`
	NodesExhausted     int            `json:"NodesExhausted"`
	DimensionExhausted map[string]int `json:"DimensionExhausted"`
	CoalescedFailures  int            `json:"CoalescedFailures"`
}

type wDeployment struct {
	ID                string                       `json:"ID"`
	Namespace         string                       `json:"Namespace"`
	JobID             string                       `json:"JobID"`
	JobVersion        uint64                       `json:"JobVersion"`
	TaskGroups        map[string]*wDeploymentState `json:"TaskGroups"`
	Status            string                       `json:"Status"`
	StatusDescription string                       `json:"StatusDescription"`
	CreateIndex       uint64                       `json:"CreateIndex"`
	ModifyIndex       uint64                       `json:"ModifyIndex"`
	CreateTime        int64                        `json:"CreateTime"`
	ModifyTime        int64                        `json:"ModifyTime"`
}

type wDeploymentState struct {
	PlacedCanaries    []string      `json:"PlacedCanaries"`
	AutoRevert        bool          `json:"AutoRevert"`
	ProgressDeadline  time.Duration `json:"ProgressDeadline"`
	RequireProgressBy time.Time     `json:"RequireProgressBy"`
	Promoted          bool          `json:"Promoted"`
	DesiredCanaries   int           `json:"DesiredCanaries"`
	DesiredTotal      int           `json:"DesiredTotal"`
	PlacedAllocs      int           `json:"PlacedAllocs"`
	HealthyAllocs     int           `json:"HealthyAllocs"`
	UnhealthyAllocs   int           `json:"UnhealthyAllocs"`
}

type wNode struct {
	ID                    string                  `json:"ID"`
	Datacenter            string                  `json:"Datacenter"`
	Name                  string                  `json:"Name"`
	Address               string                  `json:"Address,omitempty"`
	HTTPAddr              string                  `json:"HTTPAddr"`
	Attributes            map[string]string       `json:"Attributes"`
	NodeResources         *wNodeResources         `json:"NodeResources"`
	ReservedResources     *wNodeResources         `json:"ReservedResources,omitempty"`
	Meta                  map[string]string       `json:"Meta"`
	NodeClass             string                  `json:"NodeClass"`
	NodePool              string                  `json:"NodePool"`
	Version               string                  `json:"Version,omitempty"`
	Drain                 bool                    `json:"Drain"`
	SchedulingEligibility string                  `json:"SchedulingEligibility"`
	Status                string                  `json:"Status"`
	StatusDescription     string                  `json:"StatusDescription"`
	Drivers               map[string]*wDriverInfo `json:"Drivers"`
	HostVolumes           map[string]*wHostVolume `json:"HostVolumes,omitempty"`
	CreateIndex           uint64                  `json:"CreateIndex"`
	ModifyIndex           uint64                  `json:"ModifyIndex"`
}

type wNodeResources struct {
	Cpu    struct{ CpuShares int64 } `json:"Cpu"`
	Memory struct{ MemoryMB int64 }  `json:"Memory"`
	Disk   struct{ DiskMB int64 }    `json:"Disk"`
}

type wDriverInfo struct {
	Attributes        map[string]string `json:"Attributes"`
	Detected          bool              `json:"Detected"`
	Healthy           bool              `json:"Healthy"`
	HealthDescription string            `json:"HealthDescription"`
	UpdateTime        time.Time         `json:"UpdateTime"`
}

type wHostVolume struct {
	Path     string `json:"Path"`
	ReadOnly bool   `json:"ReadOnly"`
}
