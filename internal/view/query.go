package view

import (
	"cmp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
)

// Entry is one instance with the checks that decide its health (its node's
// checks, liveness included, and its own) and the aggregated status.
type Entry struct {
	Node     *catalog.Node
	Instance *catalog.Instance
	Checks   []*catalog.Check
	Status   catalog.Status
}

// Nodes lists every node, sorted by name.
func (v *View) Nodes() []*catalog.Node {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*catalog.Node, 0, len(v.nodes))
	for _, n := range v.nodes {
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b *catalog.Node) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Node returns one node.
func (v *View) Node(name string) (*catalog.Node, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	n, ok := v.nodes[name]
	return n, ok
}

// Alive reports whether an agent node's liveness key exists. External nodes
// (not agents) have none and are reported alive.
func (v *View) Alive(name string) bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.aliveLocked(name)
}

func (v *View) aliveLocked(name string) bool {
	n := v.nodes[name]
	if n != nil && !n.Agent {
		return true
	}
	_, ok := v.alive[name]
	return ok
}

// Services maps every service name to the union of its instances' tags.
func (v *View) Services() map[string][]string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make(map[string][]string, len(v.byName))
	for name, insts := range v.byName {
		var tags []string
		for _, in := range insts {
			tags = append(tags, in.Tags...)
		}
		slices.Sort(tags)
		out[name] = slices.Compact(tags)
		if out[name] == nil {
			out[name] = []string{}
		}
	}
	return out
}

// ServiceNames lists every service name, sorted.
func (v *View) ServiceNames() []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.byName))
	for name := range v.byName {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Instance returns one instance.
func (v *View) Instance(node, id string) (*catalog.Instance, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	in, ok := v.inst[node][id]
	return in, ok
}

// NodeInstances lists a node's instances sorted by id.
func (v *View) NodeInstances(node string) []*catalog.Instance {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*catalog.Instance, 0, len(v.inst[node]))
	for _, in := range v.inst[node] {
		out = append(out, in)
	}
	slices.SortFunc(out, func(a, b *catalog.Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Entries lists the instances of a service with their health, sorted by
// node then id.
func (v *View) Entries(service string) []Entry {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]Entry, 0, len(v.byName[service]))
	for _, in := range v.byName[service] {
		out = append(out, v.entryLocked(in))
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(strings.Compare(a.Instance.Node, b.Instance.Node), strings.Compare(a.Instance.ID, b.Instance.ID))
	})
	return out
}

func (v *View) entryLocked(in *catalog.Instance) Entry {
	e := Entry{Node: v.nodes[in.Node], Instance: in}
	if e.Node == nil {
		e.Node = &catalog.Node{Name: in.Node}
	}
	e.Checks = v.nodeLevelChecksLocked(in.Node)
	for _, c := range sortedChecks(v.bySvc[in.Node][in.ID]) {
		e.Checks = append(e.Checks, v.decorateLocked(c))
	}
	e.Status = catalog.Aggregate(e.Checks)
	return e
}

// nodeLevelChecksLocked returns the liveness check (for agent nodes) and
// the checks bound to no service.
func (v *View) nodeLevelChecksLocked(node string) []*catalog.Check {
	var out []*catalog.Check
	if s := v.serfLocked(node); s != nil {
		out = append(out, s)
	}
	for _, c := range sortedChecks(v.bySvc[node][""]) {
		out = append(out, v.decorateLocked(c))
	}
	return out
}

func sortedChecks(m map[string]*catalog.Check) []*catalog.Check {
	out := make([]*catalog.Check, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *catalog.Check) int { return strings.Compare(a.CheckID, b.CheckID) })
	return out
}

func (v *View) serfLocked(node string) *catalog.Check {
	n := v.nodes[node]
	if n == nil || !n.Agent {
		return nil
	}
	c := &catalog.Check{Node: node, CheckID: catalog.SerfCheckID, Name: catalog.SerfCheckName,
		Type: "serf", CreateIndex: n.CreateIndex, ModifyIndex: max(v.aliveRev[node], n.CreateIndex)}
	if _, ok := v.alive[node]; ok {
		c.Status, c.Output = catalog.Passing, "Agent alive and reachable"
	} else {
		c.Status, c.Output = catalog.Critical, "Agent not live or unreachable"
	}
	return c
}

func (v *View) sortedChecksLocked(node string) []*catalog.Check { return sortedChecks(v.checks[node]) }

// decorateLocked returns a copy of c with its service's name and tags.
func (v *View) decorateLocked(c *catalog.Check) *catalog.Check {
	d := *c
	d.Type = c.Definition.Type()
	if c.ServiceID != "" {
		if in := v.inst[c.Node][c.ServiceID]; in != nil {
			d.ServiceName, d.ServiceTags = in.Name, in.Tags
		}
	}
	return &d
}

// NodeChecks lists every check of a node, its liveness check first.
func (v *View) NodeChecks(node string) []*catalog.Check {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.nodeChecksLocked(node)
}

func (v *View) nodeChecksLocked(node string) []*catalog.Check {
	var out []*catalog.Check
	if s := v.serfLocked(node); s != nil {
		out = append(out, s)
	}
	for _, c := range v.sortedChecksLocked(node) {
		out = append(out, v.decorateLocked(c))
	}
	return out
}

// Check returns one stored check (not the synthesized liveness check).
func (v *View) Check(node, id string) (*catalog.Check, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	c, ok := v.checks[node][id]
	if !ok {
		return nil, false
	}
	return v.decorateLocked(c), true
}

// ServiceChecks lists the checks bound to instances of a service.
func (v *View) ServiceChecks(service string) []*catalog.Check {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []*catalog.Check
	for ref := range v.byName[service] {
		for _, c := range v.bySvc[ref.node][ref.id] {
			out = append(out, v.decorateLocked(c))
		}
	}
	sortChecks(out)
	return out
}

// AllChecks lists every check of every node, liveness checks included.
func (v *View) AllChecks() []*catalog.Check {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []*catalog.Check
	for node := range v.nodes {
		out = append(out, v.nodeChecksLocked(node)...)
	}
	for node := range v.checks {
		if _, ok := v.nodes[node]; !ok {
			for _, c := range v.checks[node] {
				out = append(out, v.decorateLocked(c))
			}
		}
	}
	sortChecks(out)
	return out
}

func sortChecks(cs []*catalog.Check) {
	slices.SortFunc(cs, func(a, b *catalog.Check) int {
		return cmp.Or(strings.Compare(a.Node, b.Node), strings.Compare(a.CheckID, b.CheckID))
	})
}

// KV returns one KV entry.
func (v *View) KV(key string) (*catalog.KVEntry, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	e, ok := v.kv[key]
	return e, ok
}

// KVList lists the KV entries under prefix, sorted by key.
func (v *View) KVList(prefix string) []*catalog.KVEntry {
	v.mu.RLock()
	defer v.mu.RUnlock()
	var out []*catalog.KVEntry
	for k, e := range v.kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *catalog.KVEntry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ServiceCheckIDs lists the ids of the checks bound to one instance.
func (v *View) ServiceCheckIDs(node, serviceID string) []string {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]string, 0, len(v.bySvc[node][serviceID]))
	for id := range v.bySvc[node][serviceID] {
		out = append(out, id)
	}
	return out
}
