package nomadwire

import "time"

// Job is Nomad's api.Job: a job spec with the server's status, version and
// indexes. Durations here and below are nanoseconds, as in Nomad.
type Job struct {
	Region            string            `json:"Region,omitempty"`
	Namespace         string            `json:"Namespace,omitempty"`
	ID                string            `json:"ID"`
	Name              string            `json:"Name"`
	Type              string            `json:"Type"`
	Priority          int               `json:"Priority"`
	AllAtOnce         bool              `json:"AllAtOnce"`
	Datacenters       []string          `json:"Datacenters"`
	NodePool          string            `json:"NodePool,omitempty"`
	Constraints       []*Constraint     `json:"Constraints"`
	Affinities        []*Affinity       `json:"Affinities"`
	TaskGroups        []*TaskGroup      `json:"TaskGroups"`
	Update            *Update           `json:"Update,omitempty"`
	Spreads           []*Spread         `json:"Spreads"`
	Periodic          *PeriodicConfig   `json:"Periodic,omitempty"`
	ParentID          string            `json:"ParentID,omitempty"`
	ParameterizedJob  any               `json:"ParameterizedJob,omitempty"`
	Reschedule        *Reschedule       `json:"Reschedule,omitempty"`
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

// PeriodicConfig is a job's periodic block (Nomad's api.PeriodicConfig).
type PeriodicConfig struct {
	Enabled         *bool    `json:"Enabled,omitempty"`
	Spec            *string  `json:"Spec,omitempty"`
	Specs           []string `json:"Specs,omitempty"`
	SpecType        *string  `json:"SpecType,omitempty"`
	ProhibitOverlap *bool    `json:"ProhibitOverlap,omitempty"`
	TimeZone        *string  `json:"TimeZone,omitempty"`
}

type Constraint struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
}

type Affinity struct {
	LTarget string `json:"LTarget"`
	RTarget string `json:"RTarget"`
	Operand string `json:"Operand"`
	Weight  *int8  `json:"Weight,omitempty"`
}

type Spread struct {
	Attribute    string          `json:"Attribute"`
	Weight       *int8           `json:"Weight,omitempty"`
	SpreadTarget []*SpreadTarget `json:"SpreadTarget"`
}

type SpreadTarget struct {
	Value   string `json:"Value"`
	Percent uint8  `json:"Percent"`
}

type Update struct {
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

// Migrate is a group's migrate block (Nomad's MigrateStrategy).
type Migrate struct {
	MaxParallel     *int           `json:"MaxParallel,omitempty"`
	HealthCheck     *string        `json:"HealthCheck,omitempty"`
	MinHealthyTime  *time.Duration `json:"MinHealthyTime,omitempty"`
	HealthyDeadline *time.Duration `json:"HealthyDeadline,omitempty"`
}

type Restart struct {
	Interval        *time.Duration `json:"Interval,omitempty"`
	Attempts        *int           `json:"Attempts,omitempty"`
	Delay           *time.Duration `json:"Delay,omitempty"`
	Mode            *string        `json:"Mode,omitempty"`
	RenderTemplates *bool          `json:"RenderTemplates,omitempty"`
}

type Reschedule struct {
	Attempts      *int           `json:"Attempts,omitempty"`
	Interval      *time.Duration `json:"Interval,omitempty"`
	Delay         *time.Duration `json:"Delay,omitempty"`
	DelayFunction *string        `json:"DelayFunction,omitempty"`
	MaxDelay      *time.Duration `json:"MaxDelay,omitempty"`
	Unlimited     *bool          `json:"Unlimited,omitempty"`
}

type TaskGroup struct {
	Name             string                    `json:"Name"`
	Count            *int                      `json:"Count,omitempty"`
	Constraints      []*Constraint             `json:"Constraints"`
	Affinities       []*Affinity               `json:"Affinities"`
	Tasks            []*Task                   `json:"Tasks"`
	Spreads          []*Spread                 `json:"Spreads"`
	Volumes          map[string]*VolumeRequest `json:"Volumes,omitempty"`
	RestartPolicy    *Restart                  `json:"RestartPolicy,omitempty"`
	ReschedulePolicy *Reschedule               `json:"ReschedulePolicy,omitempty"`
	Update           *Update                   `json:"Update,omitempty"`
	Migrate          *Migrate                  `json:"Migrate,omitempty"`
	Networks         []*Network                `json:"Networks"`
	Meta             map[string]string         `json:"Meta"`
	Services         []*Service                `json:"Services"`
	ShutdownDelay    *time.Duration            `json:"ShutdownDelay,omitempty"`
	// ActivePassive is orbit's extension (the group's active_passive
	// block); Nomad's clients neither send nor read it.
	ActivePassive *ActivePassive `json:"ActivePassive,omitempty"`
}

// ActivePassive is a group's active_passive block.
type ActivePassive struct {
	Lock string        `json:"Lock,omitempty"`
	TTL  time.Duration `json:"TTL,omitempty"`
}

type VolumeRequest struct {
	Name     string `json:"Name"`
	Type     string `json:"Type"`
	Source   string `json:"Source"`
	ReadOnly bool   `json:"ReadOnly"`
}

type Network struct {
	Mode          string `json:"Mode"`
	IP            string `json:"IP,omitempty"`
	ReservedPorts []Port `json:"ReservedPorts"`
	DynamicPorts  []Port `json:"DynamicPorts"`
}

type Port struct {
	Label       string `json:"Label"`
	Value       int    `json:"Value"`
	To          int    `json:"To"`
	HostNetwork string `json:"HostNetwork"`
}

type Service struct {
	Name        string            `json:"Name"`
	Tags        []string          `json:"Tags"`
	CanaryTags  []string          `json:"CanaryTags"`
	PortLabel   string            `json:"PortLabel"`
	AddressMode string            `json:"AddressMode"`
	Address     string            `json:"Address"`
	Checks      []Check           `json:"Checks"`
	Meta        map[string]string `json:"Meta"`
	TaskName    string            `json:"TaskName"`
	Provider    string            `json:"Provider"`
	Identity    *Identity         `json:"Identity,omitempty"`
}

// Identity is Nomad's WorkloadIdentity (a service's or a task's identity
// block).
type Identity struct {
	Name         string        `json:"Name,omitempty"`
	Audience     []string      `json:"Audience"`
	ChangeMode   string        `json:"ChangeMode,omitempty"`
	ChangeSignal string        `json:"ChangeSignal,omitempty"`
	Env          bool          `json:"Env,omitempty"`
	File         bool          `json:"File,omitempty"`
	ServiceName  string        `json:"ServiceName,omitempty"`
	TTL          time.Duration `json:"TTL,omitempty"`
}

type Check struct {
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

type Task struct {
	Name          string            `json:"Name"`
	Driver        string            `json:"Driver"`
	User          string            `json:"User"`
	Lifecycle     *Lifecycle        `json:"Lifecycle,omitempty"`
	Config        map[string]any    `json:"Config"`
	Constraints   []*Constraint     `json:"Constraints"`
	Affinities    []*Affinity       `json:"Affinities"`
	Env           map[string]string `json:"Env"`
	Services      []*Service        `json:"Services"`
	Resources     *Resources        `json:"Resources,omitempty"`
	RestartPolicy *Restart          `json:"RestartPolicy,omitempty"`
	Meta          map[string]string `json:"Meta"`
	KillTimeout   *time.Duration    `json:"KillTimeout,omitempty"`
	LogConfig     *LogConfig        `json:"LogConfig,omitempty"`
	Artifacts     []any             `json:"Artifacts"`
	Templates     []*Template       `json:"Templates"`
	VolumeMounts  []*VolumeMount    `json:"VolumeMounts"`
	Leader        bool              `json:"Leader"`
	ShutdownDelay time.Duration     `json:"ShutdownDelay"`
	KillSignal    string            `json:"KillSignal"`
	// Identity is the task's default identity block, Identities its named
	// ones, as Nomad splits them.
	Identity   *Identity   `json:"Identity,omitempty"`
	Identities []*Identity `json:"Identities,omitempty"`
}

type Lifecycle struct {
	Hook    string `json:"Hook"`
	Sidecar bool   `json:"Sidecar"`
}

type Resources struct {
	CPU         *int `json:"CPU,omitempty"`
	Cores       *int `json:"Cores,omitempty"`
	MemoryMB    *int `json:"MemoryMB,omitempty"`
	MemoryMaxMB *int `json:"MemoryMaxMB,omitempty"`
	DiskMB      *int `json:"DiskMB,omitempty"`
}

type LogConfig struct {
	MaxFiles      *int `json:"MaxFiles,omitempty"`
	MaxFileSizeMB *int `json:"MaxFileSizeMB,omitempty"`
}

type Template struct {
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

type VolumeMount struct {
	Volume      *string `json:"Volume,omitempty"`
	Destination *string `json:"Destination,omitempty"`
	ReadOnly    *bool   `json:"ReadOnly,omitempty"`
}
