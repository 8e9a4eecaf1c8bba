package job

import "time"

// Job types, as in Nomad.
const (
	TypeService = "service"
	TypeBatch   = "batch"
	TypeSystem  = "system"
)

// Defaults for a job's identity and placement, as in Nomad.
const (
	DefaultNamespace = "default"
	DefaultRegion    = "global"
	DefaultPriority  = 50
)

// Job is a parsed job file: a named set of task groups and how to place and
// update them.
type Job struct {
	Pos Pos // the job block

	ID          string // the job block's label
	IDPos       Pos
	Name        string // defaults to ID
	Type        string // service (default), batch or system
	TypePos     Pos
	Namespace   string
	Region      string
	Priority    int
	PriorityPos Pos
	Datacenters []string
	AllAtOnce   bool
	Meta        Meta

	Constraints []*Constraint
	Affinities  []*Affinity
	Spreads     []*Spread
	Update      *Update     // job-wide default for groups; nil when absent
	Reschedule  *Reschedule // job-wide default for groups; nil when absent
	// Periodic, when set, makes the job a launcher of children on a
	// schedule instead of a job that is placed.
	Periodic *Periodic
	// ParentID is the periodic job a child was launched from.
	ParentID string `json:",omitempty"`

	Groups []*Group
}

// Group is a set of tasks placed together on one node, Count times.
type Group struct {
	Pos Pos // the group block

	Name     string
	Count    int // 1 when not written
	CountPos Pos // zero when count was not written
	Meta     Meta

	Network       *Network // nil when the group has no network block
	Services      []*Service
	Tasks         []*Task
	Volumes       []*Volume
	ShutdownDelay time.Duration

	Restart     *Restart    // nil: the job type's default
	Reschedule  *Reschedule // nil: the job's, else the job type's default
	Update      *Update     // nil: the job's, else the default
	Migrate     *Migrate    // nil: the default (DefaultMigrate)
	Constraints []*Constraint
	Affinities  []*Affinity
	Spreads     []*Spread
	// ActivePassive, when set, makes the group's instances contend for a
	// lock: the holder's services are tagged primary, the others standby
	// (catalog.RolePrimary, catalog.RoleStandby).
	ActivePassive *ActivePassive
}

// ActivePassive is a group's active_passive block.
type ActivePassive struct {
	Pos Pos
	// Lock is the KV key the instances acquire; "" means
	// DefaultActivePassiveLock(namespace, job, group).
	Lock string
	// TTL is the TTL of each instance's session: a holder that stops
	// renewing (its node lost) loses the lock within it. 0 means
	// DefaultActivePassiveTTL.
	TTL time.Duration
}

const (
	// DefaultActivePassiveTTL is the session TTL when none is written.
	DefaultActivePassiveTTL = 10 * time.Second
	// ActivePassiveTTLMin and ActivePassiveTTLMax bound a written TTL
	// (Consul's session TTL bounds).
	ActivePassiveTTLMin = 10 * time.Second
	ActivePassiveTTLMax = 24 * time.Hour
)

// DefaultActivePassiveLock is the lock key of a group without one.
func DefaultActivePassiveLock(namespace, jobID, group string) string {
	return "orbit/active-passive/" + namespace + "/" + jobID + "/" + group
}

// Meta is free-form string metadata (job, group, task or service level) with
// the position of each key.
type Meta struct {
	Pos    Pos // the meta block or attribute; zero when absent
	Values map[string]string
	KeyPos map[string]Pos
}

// Get returns the value of key and whether it is set.
func (m Meta) Get(key string) (string, bool) {
	v, ok := m.Values[key]
	return v, ok
}

// Set sets key to value at pos, allocating the maps on first use.
func (m *Meta) Set(key, value string, pos Pos) {
	if m.Values == nil {
		m.Values = map[string]string{}
		m.KeyPos = map[string]Pos{}
	}
	m.Values[key] = value
	m.KeyPos[key] = pos
}

// Network is a group's network: its mode and the ports it asks for.
type Network struct {
	Pos   Pos
	Mode  string // host (default) or bridge
	Ports []*Port
}

// Network modes.
const (
	NetworkHost   = "host"
	NetworkBridge = "bridge"
)

// Port is a labelled port. Static 0 means dynamic: the client picks a free
// host port from its dynamic range. To is the port inside the task's
// network namespace (0: same as the host port).
type Port struct {
	Pos         Pos
	Label       string
	Static      int
	StaticPos   Pos // zero when static was not written
	To          int
	ToPos       Pos
	HostNetwork string
}

// IsStatic reports whether the port asks for a fixed host port.
func (p *Port) IsStatic() bool { return p.Static > 0 }

// Volume is a group's request for a host volume.
type Volume struct {
	Pos      Pos
	Name     string // the block's label
	Type     string // "host"
	Source   string // the client's host_volume name
	ReadOnly bool
}

// Constraint restricts placement to nodes where Attribute Operator Value holds.
type Constraint struct {
	Pos       Pos
	Attribute string
	Operator  string // "=" when not written
	Value     string
}

// Affinity prefers nodes where Attribute Operator Value holds, by Weight
// (-100..100, default 50).
type Affinity struct {
	Pos       Pos
	Attribute string
	Operator  string
	Value     string
	Weight    int
}

// Spread spreads allocations over the values of Attribute.
type Spread struct {
	Pos       Pos
	Attribute string
	Weight    int
	Targets   []SpreadTarget
}

// SpreadTarget is the share of allocations wanted for one attribute value.
type SpreadTarget struct {
	Pos     Pos
	Value   string
	Percent int
}
