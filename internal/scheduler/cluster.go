package scheduler

import (
	"sort"

	"github.com/orbit/orbit/internal/job"
)

// Default task resources when a task has no resources block (Nomad's).
const (
	DefaultCPU      = 100
	DefaultMemoryMB = 300
)

// Node is one client node as the scheduler sees it: its fingerprint, its
// liveness and what the allocations on it use.
type Node struct {
	Info  *job.NodeInfo
	Alive bool

	Used  job.AllocResources
	Ports map[int]bool // static host ports in use
	// Groups counts live allocations per "ns/job/group"; Jobs per "ns/job".
	Groups map[string]int
	Jobs   map[string]int
}

// Name is the node's catalog name.
func (n *Node) Name() string { return n.Info.Name }

// Ready reports whether new allocations may be placed on the node.
func (n *Node) Ready() bool { return n.Alive && n.Info.Eligible() }

// Cluster is every client node with the usage of the live allocations.
// Build it with NewCluster; Schedule never modifies it.
type Cluster struct {
	Nodes  []*Node // sorted by name
	byName map[string]*Node
}

// NewCluster builds the cluster from node fingerprints, liveness and every
// live allocation (of every job). Allocations on nodes without a
// fingerprint are ignored.
func NewCluster(infos []*job.NodeInfo, alive func(node string) bool, live []*job.Allocation) *Cluster {
	c := &Cluster{byName: make(map[string]*Node, len(infos))}
	for _, in := range infos {
		n := &Node{Info: in, Alive: alive(in.Name), Ports: map[int]bool{}, Groups: map[string]int{}, Jobs: map[string]int{}}
		c.Nodes = append(c.Nodes, n)
		c.byName[in.Name] = n
	}
	sort.Slice(c.Nodes, func(i, j int) bool { return c.Nodes[i].Info.Name < c.Nodes[j].Info.Name })
	for _, a := range live {
		if n := c.byName[a.Node]; n != nil {
			n.add(a, 1)
		}
	}
	return c
}

// Node returns the node named name, or nil.
func (c *Cluster) Node(name string) *Node { return c.byName[name] }

// Add counts a newly live allocation (the server keeps its cluster up to
// date between evaluations this way).
func (c *Cluster) Add(a *job.Allocation) {
	if n := c.byName[a.Node]; n != nil {
		n.add(a, 1)
	}
}

// Remove uncounts an allocation that stopped being live.
func (c *Cluster) Remove(a *job.Allocation) {
	if n := c.byName[a.Node]; n != nil {
		n.add(a, -1)
	}
}

func (n *Node) add(a *job.Allocation, sign int) {
	r := a.Resources
	n.Used.CPU += sign * r.CPU
	n.Used.MemoryMB += sign * r.MemoryMB
	n.Used.DiskMB += sign * r.DiskMB
	for _, p := range a.Ports {
		if p.Static > 0 {
			if sign > 0 {
				n.Ports[p.Static] = true
			} else {
				delete(n.Ports, p.Static)
			}
		}
	}
	gk, jk := groupKey(a.Namespace, a.JobID, a.TaskGroup), jobKey(a.Namespace, a.JobID)
	n.Groups[gk] += sign
	if n.Groups[gk] <= 0 {
		delete(n.Groups, gk)
	}
	n.Jobs[jk] += sign
	if n.Jobs[jk] <= 0 {
		delete(n.Jobs, jk)
	}
}

func groupKey(ns, id, group string) string { return ns + "/" + id + "/" + group }
func jobKey(ns, id string) string          { return ns + "/" + id }

// Ask is what one allocation of a group needs from a node.
type Ask struct {
	Resources job.AllocResources
	Tasks     map[string]job.AllocResources
	Ports     []job.AllocPort
	Drivers   []string
	Volumes   []*job.Volume
}

// GroupAsk computes the ask of group g: the tasks' resources (Nomad's
// defaults where a task has no resources block), ports, drivers and host
// volumes.
func GroupAsk(g *job.Group) Ask {
	a := Ask{Tasks: make(map[string]job.AllocResources, len(g.Tasks))}
	seen := map[string]bool{}
	for _, t := range g.Tasks {
		r := job.AllocResources{CPU: DefaultCPU, MemoryMB: DefaultMemoryMB}
		if t.Resources != nil {
			r = job.AllocResources{CPU: t.Resources.CPU, MemoryMB: t.Resources.MemoryMB,
				MemoryMaxMB: t.Resources.MemoryMaxMB, DiskMB: t.Resources.DiskMB}
			if t.Resources.Cores > 0 {
				r.CPU = t.Resources.Cores * 1000 // reserved cores, counted as 1 GHz each
			} else if r.CPU == 0 {
				r.CPU = DefaultCPU
			}
			if r.MemoryMB == 0 {
				r.MemoryMB = DefaultMemoryMB
			}
		}
		a.Tasks[t.Name] = r
		a.Resources = a.Resources.Add(r)
		if !seen[t.Driver] {
			seen[t.Driver] = true
			a.Drivers = append(a.Drivers, t.Driver)
		}
	}
	sort.Strings(a.Drivers)
	if g.Network != nil {
		for _, p := range g.Network.Ports {
			a.Ports = append(a.Ports, job.AllocPort{Label: p.Label, Static: p.Static, To: p.To, HostNetwork: p.HostNetwork})
		}
	}
	for _, v := range g.Volumes {
		if v.Type == "" || v.Type == "host" {
			a.Volumes = append(a.Volumes, v)
		}
	}
	return a
}
