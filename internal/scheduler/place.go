package scheduler

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"

	"github.com/orbit/orbit/internal/job"
)

// delta is what the plan under construction adds to (or frees on) a node.
type delta struct {
	used   job.AllocResources
	ports  map[int]int
	groups map[string]int
	jobs   map[string]int
}

// placer chooses nodes for the allocations of one evaluation. It never
// modifies the Cluster: what the plan adds or frees is kept in deltas.
type placer struct {
	c      *Cluster
	j      *job.Job
	m      *matcher
	deltas map[string]*delta
	order  []*Node // the cluster's nodes in this evaluation's random order
	cursor int
	static map[string]map[string]string // group → node → why infeasible ("" feasible)
}

func newPlacer(c *Cluster, j *job.Job, seed string) *placer {
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x6f72626974))
	order := append([]*Node(nil), c.Nodes...)
	rng.Shuffle(len(order), func(i, k int) { order[i], order[k] = order[k], order[i] })
	return &placer{c: c, j: j, m: newMatcher(), deltas: map[string]*delta{}, order: order, static: map[string]map[string]string{}}
}

func (p *placer) delta(node string) *delta {
	d := p.deltas[node]
	if d == nil {
		d = &delta{ports: map[int]int{}, groups: map[string]int{}, jobs: map[string]int{}}
		p.deltas[node] = d
	}
	return d
}

// account records that the plan adds (sign 1) or frees (sign -1) a.
func (p *placer) account(a *job.Allocation, sign int) {
	d := p.delta(a.Node)
	r := a.Resources
	d.used.CPU += sign * r.CPU
	d.used.MemoryMB += sign * r.MemoryMB
	d.used.DiskMB += sign * r.DiskMB
	for _, pt := range a.Ports {
		if pt.Static > 0 {
			d.ports[pt.Static] += sign
		}
	}
	d.groups[groupKey(a.Namespace, a.JobID, a.TaskGroup)] += sign
	d.jobs[jobKey(a.Namespace, a.JobID)] += sign
}

func (p *placer) used(n *Node) job.AllocResources {
	u := n.Used
	if d := p.deltas[n.Name()]; d != nil {
		u = u.Add(d.used)
	}
	return u
}

func (p *placer) portUsed(n *Node, port int) bool {
	c := 0
	if n.Ports[port] {
		c = 1
	}
	if d := p.deltas[n.Name()]; d != nil {
		c += d.ports[port]
	}
	return c > 0
}

func (p *placer) groupCount(n *Node, g string) int {
	c := n.Groups[groupKey(p.j.Namespace, p.j.ID, g)]
	if d := p.deltas[n.Name()]; d != nil {
		c += d.groups[groupKey(p.j.Namespace, p.j.ID, g)]
	}
	return c
}

func (p *placer) jobCount(n *Node) int {
	c := n.Jobs[jobKey(p.j.Namespace, p.j.ID)]
	if d := p.deltas[n.Name()]; d != nil {
		c += d.jobs[jobKey(p.j.Namespace, p.j.ID)]
	}
	return c
}

// staticReason says why group g can never run on n, whatever the node's
// load: not ready, datacenter, drivers, constraints, host volumes. "" means
// it can. Results are cached per evaluation.
func (p *placer) staticReason(g *job.Group, ask *Ask, n *Node) string {
	cache := p.static[g.Name]
	if cache == nil {
		cache = map[string]string{}
		p.static[g.Name] = cache
	}
	if r, ok := cache[n.Name()]; ok {
		return r
	}
	r := p.computeStatic(g, ask, n)
	cache[n.Name()] = r
	return r
}

func (p *placer) computeStatic(g *job.Group, ask *Ask, n *Node) string {
	if !n.Ready() {
		return "node not ready"
	}
	if !datacenterMatch(p.j.Datacenters, n.Info.Datacenter) {
		return "datacenter"
	}
	for _, d := range ask.Drivers {
		if di, ok := n.Info.Drivers[d]; !ok || !di.Detected || !di.Healthy {
			return "missing drivers"
		}
	}
	for _, c := range groupConstraints(p.j, g) {
		if !p.m.Match(c.Attribute, c.Operator, c.Value, n.Info) {
			return c.Attribute + " " + normalizeOp(c.Operator) + " " + c.Value
		}
	}
	for _, pt := range ask.Ports {
		if _, ok := n.Info.HostNetworkAddress(pt.HostNetwork); !ok {
			return fmt.Sprintf("missing host network %q for port %q", pt.HostNetwork, pt.Label)
		}
	}
	for _, v := range ask.Volumes {
		hv, ok := n.Info.HostVolumes[v.Source]
		if !ok {
			return "missing compatible host volumes"
		}
		if hv.ReadOnly && !v.ReadOnly {
			return "missing compatible host volumes"
		}
	}
	return ""
}

func datacenterMatch(dcs []string, dc string) bool {
	if len(dcs) == 0 {
		return true
	}
	for _, pattern := range dcs {
		if ok, _ := path.Match(pattern, dc); ok || pattern == dc {
			return true
		}
	}
	return false
}

// groupConstraints are the job's, the group's and its tasks' constraints.
func groupConstraints(j *job.Job, g *job.Group) []*job.Constraint {
	out := append([]*job.Constraint(nil), j.Constraints...)
	out = append(out, g.Constraints...)
	for _, t := range g.Tasks {
		out = append(out, t.Constraints...)
	}
	return out
}

// dynamicReason says why an allocation of g does not fit on n now (its
// resources, static ports, distinct_hosts, distinct_property), naming the
// exhausted dimension; "" means it fits.
func (p *placer) dynamicReason(g *job.Group, ask *Ask, n *Node) (reason string, exhausted bool) {
	avail := n.Info.Available()
	u := p.used(n)
	switch {
	case u.CPU+ask.Resources.CPU > avail.CPU:
		return "cpu", true
	case u.MemoryMB+ask.Resources.MemoryMB > avail.MemoryMB:
		return "memory", true
	case avail.DiskMB > 0 && u.DiskMB+ask.Resources.DiskMB > avail.DiskMB:
		return "disk", true
	}
	for _, pt := range ask.Ports {
		if pt.Static > 0 && (p.portUsed(n, pt.Static) || reserved(n.Info, pt.HostNetwork, pt.Static)) {
			return "network: reserved port collision " + pt.Label + "=" + strconv.Itoa(pt.Static), true
		}
	}
	for _, c := range p.j.Constraints {
		if normalizeOp(c.Operator) == OpDistinctHosts && c.Value != "false" && p.jobCount(n) > 0 {
			return OpDistinctHosts, false
		}
	}
	for _, c := range g.Constraints {
		if normalizeOp(c.Operator) == OpDistinctHosts && c.Value != "false" && p.groupCount(n, g.Name) > 0 {
			return OpDistinctHosts, false
		}
	}
	if r := p.distinctProperty(g, n); r != "" {
		return r, false
	}
	return "", false
}

// reserved reports whether port is kept back on the node, or on the host
// network the port asks for (its reserved_ports).
func reserved(n *job.NodeInfo, network string, port int) bool {
	if hn, ok := n.HostNetworks[network]; ok && hn.ReservedPorts != "" {
		// Validated when the client's config was loaded; a value that
		// does not parse reserves nothing.
		ps, _ := job.ParsePortList(hn.ReservedPorts)
		if slices.Contains(ps, port) {
			return true
		}
	}
	for _, r := range n.Resources.ReservedPorts {
		if r == port {
			return true
		}
	}
	for _, r := range n.Reserved.ReservedPorts {
		if r == port {
			return true
		}
	}
	return false
}

// distinctProperty checks distinct_property constraints: at most Value
// (default 1) allocations of the job (job level) or group (group level)
// per value of the property.
func (p *placer) distinctProperty(g *job.Group, n *Node) string {
	check := func(c *job.Constraint, count func(*Node) int) string {
		if normalizeOp(c.Operator) != OpDistinctProperty {
			return ""
		}
		limit := 1
		if v, err := strconv.Atoi(c.Value); err == nil && v > 0 {
			limit = v
		}
		val, ok := Resolve(c.Attribute, n.Info)
		if !ok {
			return "missing property " + c.Attribute
		}
		used := 0
		for _, o := range p.c.Nodes {
			if v, ok := Resolve(c.Attribute, o.Info); ok && v == val {
				used += count(o)
			}
		}
		if used >= limit {
			return OpDistinctProperty + " " + c.Attribute
		}
		return ""
	}
	for _, c := range p.j.Constraints {
		if r := check(c, p.jobCount); r != "" {
			return r
		}
	}
	for _, c := range g.Constraints {
		if r := check(c, func(o *Node) int { return p.groupCount(o, g.Name) }); r != "" {
			return r
		}
	}
	return ""
}

// selectNode picks the best node for one more allocation of g, or nil with
// the metric saying why none fits. count is the group's desired count
// (for anti-affinity and spread).
func (p *placer) selectNode(g *job.Group, ask *Ask, count int) (*Node, *job.AllocMetric) {
	return p.selectNodeAvoiding(g, ask, count, "")
}

// selectNodeAvoiding is selectNode with a penalty for node avoid (the node
// a failed allocation ran on).
func (p *placer) selectNodeAvoiding(g *job.Group, ask *Ask, count int, avoid string) (*Node, *job.AllocMetric) {
	m := &job.AllocMetric{}
	affs, spreads := groupAffinities(p.j, g), groupSpreads(p.j, g)
	limit := len(p.order)
	if len(affs) == 0 && len(spreads) == 0 {
		limit = 2
		if p.j.Type != job.TypeBatch && len(p.order) > 0 {
			limit = max(limit, int(math.Ceil(math.Log2(float64(len(p.order))))))
		}
	}
	var sp *spreadState
	if len(spreads) > 0 {
		sp = p.newSpreadState(g, spreads, count)
	}
	var best *Node
	bestScore := math.Inf(-1)
	found, skipped := 0, 0
	for i := 0; i < len(p.order) && found < limit; i++ {
		n := p.order[(p.cursor+i)%len(p.order)]
		m.NodesEvaluated++
		if r := p.staticReason(g, ask, n); r != "" {
			m.NodesFiltered++
			if m.ConstraintFiltered == nil {
				m.ConstraintFiltered = map[string]int{}
			}
			m.ConstraintFiltered[r]++
			continue
		}
		if m.NodesAvailable == nil {
			m.NodesAvailable = map[string]int{}
		}
		m.NodesAvailable[n.Info.Datacenter]++
		if r, exhausted := p.dynamicReason(g, ask, n); r != "" {
			if exhausted {
				m.NodesExhausted++
				if m.DimensionExhausted == nil {
					m.DimensionExhausted = map[string]int{}
				}
				m.DimensionExhausted[r]++
			} else {
				m.NodesFiltered++
				if m.ConstraintFiltered == nil {
					m.ConstraintFiltered = map[string]int{}
				}
				m.ConstraintFiltered[r]++
			}
			continue
		}
		s := p.score(g, ask, n, count, affs, sp)
		if n.Name() == avoid {
			s -= 1
		}
		if s < 0 && skipped < 3 && limit < len(p.order) {
			// Nomad skips a few nodes with negative scores before
			// settling for one.
			skipped++
			if s > bestScore {
				best, bestScore = n, s
			}
			continue
		}
		found++
		if s > bestScore {
			best, bestScore = n, s
		}
	}
	if best != nil {
		p.cursor = (p.cursor + m.NodesEvaluated) % max(len(p.order), 1)
	}
	return best, m
}

// score ranks a feasible node: bin-packing fitness, anti-affinity for the
// job's group already there, node affinities and spread, averaged as Nomad
// normalises its scores.
func (p *placer) score(g *job.Group, ask *Ask, n *Node, count int, affs []*job.Affinity, sp *spreadState) float64 {
	avail := n.Info.Available()
	u := p.used(n).Add(ask.Resources)
	freeCPU := 1 - float64(u.CPU)/float64(max(avail.CPU, 1))
	freeMem := 1 - float64(u.MemoryMB)/float64(max(avail.MemoryMB, 1))
	fit := (20 - (math.Pow(10, freeCPU) + math.Pow(10, freeMem))) / 18
	sum, parts := fit, 1.0
	if c := p.groupCount(n, g.Name); c > 0 {
		sum += -float64(c+1) / float64(max(count, 1))
		parts++
	}
	if len(affs) > 0 {
		var total, matched float64
		for _, a := range affs {
			w := float64(a.Weight)
			if w == 0 {
				w = 50
			}
			total += math.Abs(w)
			if p.m.Match(a.Attribute, a.Operator, a.Value, n.Info) {
				matched += w
			}
		}
		if total > 0 {
			sum += matched / total
			parts++
		}
	}
	if sp != nil {
		sum += sp.boost(n)
		parts++
	}
	return sum / parts
}

func groupAffinities(j *job.Job, g *job.Group) []*job.Affinity {
	out := append([]*job.Affinity(nil), j.Affinities...)
	out = append(out, g.Affinities...)
	for _, t := range g.Tasks {
		out = append(out, t.Affinities...)
	}
	return out
}

func groupSpreads(j *job.Job, g *job.Group) []*job.Spread {
	return append(append([]*job.Spread(nil), j.Spreads...), g.Spreads...)
}
