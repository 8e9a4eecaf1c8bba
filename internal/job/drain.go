package job

import "time"

// Drain statuses of a node's last drain, as Nomad reports them.
const (
	DrainDraining = "draining"
	DrainComplete = "complete"
	DrainCanceled = "canceled"
)

// NodeSchedule is the operator's say over scheduling on a node (key
// /orbit/nodesched/<node>): its eligibility and its drain. The API writes
// it (eligibility, drain start and cancel) and so does the leader's
// drainer (progress, completion), each with a compare-and-swap on the
// key. The view overlays it on the node's NodeInfo, so the scheduler sees
// Eligibility, Drain and Migrate without reading a second table.
type NodeSchedule struct {
	Eligibility string         `json:"eligibility,omitempty"` // "eligible" when empty
	Drain       *DrainStrategy `json:"drain,omitempty"`       // nil: not draining
	LastDrain   *DrainMetadata `json:"last_drain,omitempty"`
	// Migrate lists the allocations of the current drain the drainer has
	// released: the scheduler stops each and places its replacement
	// elsewhere (Nomad's DesiredTransition.Migrate).
	Migrate []string `json:"migrate,omitempty"`
}

// DrainStrategy is a running drain (Nomad's DrainStrategy).
type DrainStrategy struct {
	// Deadline after StartedAt forces the remaining allocations off:
	// negative forces them at once, zero never.
	Deadline         time.Duration `json:"deadline"`
	IgnoreSystemJobs bool          `json:"ignore_system_jobs,omitempty"`
	ForceDeadline    time.Time     `json:"force_deadline,omitzero"` // StartedAt+Deadline when Deadline > 0
	StartedAt        time.Time     `json:"started_at"`
}

// Forced reports whether the drain's deadline has passed at now.
func (d *DrainStrategy) Forced(now time.Time) bool {
	switch {
	case d == nil || d.Deadline == 0:
		return false
	case d.Deadline < 0:
		return true
	default:
		return !now.Before(d.ForceDeadline)
	}
}

// DrainMetadata describes a node's latest drain (Nomad's LastDrain).
type DrainMetadata struct {
	StartedAt  time.Time         `json:"started_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
	Status     string            `json:"status"`
	AccessorID string            `json:"accessor_id,omitempty"`
	Meta       map[string]string `json:"meta,omitempty"`
}

// Overlay returns a copy of n with the schedule s applied (s may be nil).
func (n *NodeInfo) Overlay(s *NodeSchedule) *NodeInfo {
	c := *n
	if s == nil {
		return &c
	}
	c.Eligibility = s.Eligibility
	c.Drain = s.Drain != nil
	c.DrainStrategy, c.LastDrain, c.Migrate = s.Drain, s.LastDrain, s.Migrate
	return &c
}

// Migrating reports whether the drainer released allocation id to move
// off this node.
func (n *NodeInfo) Migrating(id string) bool {
	if !n.Drain {
		return false
	}
	for _, m := range n.Migrate {
		if m == id {
			return true
		}
	}
	return false
}

// Migrate is a group's migrate block: how a drain moves its allocations.
type Migrate struct {
	Pos             Pos
	MaxParallel     int
	HealthCheck     string // checks or task_states
	MinHealthyTime  time.Duration
	HealthyDeadline time.Duration
}

// DefaultMigrate returns Nomad's migrate block.
func DefaultMigrate() *Migrate {
	return &Migrate{MaxParallel: 1, HealthCheck: HealthChecks, MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}
}

// EffectiveMigrate is the group's migrate block, or the default.
func (g *Group) EffectiveMigrate() *Migrate {
	if g.Migrate != nil {
		return g.Migrate
	}
	return DefaultMigrate()
}
