package alert

import "time"

// Input is what the rules look at, at one instant: plain values the agent
// gathers from the view and the metrics. A category left empty has nothing
// to alert on; an alert whose subject is no longer in the input is removed
// (and resolved, if it was critical).
type Input struct {
	Nodes        []Node
	Disks        []Disk
	Memory       []Memory
	Services     []Service
	Checks       []Check
	Allocations  []Allocation
	Certificates []Certificate
	Etcd         []Etcd
	Anomaly      []NodeAnomaly
}

// Node is a cluster member and whether its agent is alive (its lease held).
type Node struct {
	Name  string
	Alive bool
}

// Disk is one mounted filesystem of a node.
type Disk struct {
	Node, Mount             string
	UsedBytes, TotalBytes   uint64
	UsedInodes, TotalInodes uint64
}

// Memory is a node's memory: the share available and PSI's memory "full"
// average over the last minute (both percentages; PressureFull < 0 when
// the kernel has no PSI).
type Memory struct {
	Node             string
	AvailablePercent float64
	PressureFull     float64
}

// Service is a service name with how many instances it has and how many
// of them pass their checks.
type Service struct {
	Name               string
	Instances, Passing int
}

// Check is one health check and whether it is critical now.
type Check struct {
	Node, ID, Name, Service string
	Critical                bool
}

// Allocation is one task of a running allocation: its recent restarts and
// its last OOM kill (zero: never).
type Allocation struct {
	ID, Node, Job, Group, Task string
	Restarts                   []time.Time
	OOMKilled                  time.Time
}

// Certificate is one certificate a node serves and when it expires.
type Certificate struct {
	Node     string // the node serving it ("": the cluster's)
	Name     string // the domain or the certificate's name
	NotAfter time.Time
}

// Etcd is one store member's database size and quota (bytes).
type Etcd struct {
	Member          string
	DBSize, DBQuota int64
}

// NodeAnomaly is a node's anomaly rate now (percent of its metrics
// anomalous, Netdata's node anomaly rate).
type NodeAnomaly struct {
	Node string
	Rate float64
}
