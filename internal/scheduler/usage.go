package scheduler

import (
	"sort"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// usage is the leader loop's cluster, kept across passes: node
// fingerprints and liveness, and what the live allocations on each node
// use. A pass brings it up to date from the view's journal of changes, so
// its cost follows what changed, not how many allocations exist. It is
// owned by the leader loop.
type usage struct {
	cl      *Cluster
	cursor  uint64                     // view revision the journal was read to
	counted map[string]*job.Allocation // live allocations counted in cl
	byNode  map[string]map[string]bool // node → ids counted on it
	infoRev map[string]int64           // node → fingerprint revision in cl
}

// changes is what a sync learned: the jobs whose state changed, whether
// a client reported an allocation terminal (capacity freed), and whether
// the view could not say (everything must be looked at again).
type changes struct {
	jobs  map[string]bool
	freed map[string]int64 // job → revision of a terminal report
	full  bool
}

func newUsage() *usage { return &usage{} }

// sync brings the cluster up to date with the view and returns what
// changed since the last sync.
func (u *usage) sync(v View, sn *snapshot) changes {
	chs, upto, ok := v.Changes(u.cursor)
	if !ok || u.cl == nil {
		u.rebuild(v, sn)
		u.cursor = upto
		return changes{full: true}
	}
	u.cursor = upto
	out := changes{jobs: map[string]bool{}, freed: map[string]int64{}}
	u.syncNodes(v, sn)
	recount := map[string]bool{}
	for _, c := range chs {
		for _, k := range []string{c.Job, c.OldJob} {
			if k != "" {
				out.jobs[k] = true
			}
		}
		if c.Family == store.FamilyAllocs || c.Family == store.FamilyAllocStatus {
			recount[c.ID] = true
		}
	}
	for id := range recount {
		s, ok := v.Alloc(id)
		u.set(id, s, ok)
		if ok && s.Status.V != nil && s.Status.V.Terminal() {
			k := jobKey(s.Alloc.V.Namespace, s.Alloc.V.JobID)
			out.freed[k] = max(out.freed[k], s.Status.ModRev)
		}
	}
	return out
}

// rebuild reads every node and live allocation: at the start of
// leadership and when the view reloaded.
func (u *usage) rebuild(v View, sn *snapshot) {
	infos := v.NodeInfos()
	list := make([]*job.NodeInfo, 0, len(infos))
	u.infoRev = map[string]int64{}
	for _, in := range infos {
		list = append(list, in.V)
		u.infoRev[in.V.Name] = in.ModRev
	}
	u.cl = NewCluster(list, func(n string) bool { return sn.alive[n] }, nil)
	u.counted, u.byNode = map[string]*job.Allocation{}, map[string]map[string]bool{}
	for _, s := range v.Allocs() {
		u.set(s.Alloc.V.ID, s, true)
	}
}

// syncNodes follows fingerprints and liveness (a pass reads every node,
// never every allocation).
func (u *usage) syncNodes(v View, sn *snapshot) {
	for name, alive := range sn.alive {
		n := u.cl.Node(name)
		if n != nil && u.infoRev[name] == sn.infoRev[name] {
			n.Alive = alive
			continue
		}
		in, ok := v.NodeInfo(name)
		if !ok {
			continue
		}
		u.infoRev[name] = in.ModRev
		if n != nil {
			n.Info, n.Alive = in.V, alive
			continue
		}
		u.cl.addNode(&Node{Info: in.V, Alive: alive, Ports: map[int]bool{}, Groups: map[string]int{}, Jobs: map[string]int{}})
		for _, s := range v.NodeAllocs(name) {
			u.set(s.Alloc.V.ID, s, true)
		}
	}
	for _, n := range append([]*Node(nil), u.cl.Nodes...) {
		if _, ok := sn.alive[n.Name()]; !ok {
			for id := range u.byNode[n.Name()] {
				delete(u.counted, id)
			}
			delete(u.byNode, n.Name())
			delete(u.infoRev, n.Name())
			u.cl.removeNode(n.Name())
		}
	}
}

// set counts allocation id as it now is (present false: gone).
func (u *usage) set(id string, s view.AllocState, present bool) {
	if old := u.counted[id]; old != nil {
		u.cl.Remove(old)
		delete(u.counted, id)
		delete(u.byNode[old.Node], id)
	}
	if !present || s.Alloc.V.Terminal(s.Status.V) {
		return
	}
	u.add(s.Alloc.V)
}

// add counts a live allocation (one the pass just placed, or read).
func (u *usage) add(a *job.Allocation) {
	if old := u.counted[a.ID]; old != nil {
		u.cl.Remove(old)
		delete(u.byNode[old.Node], a.ID)
	}
	if u.cl.Node(a.Node) == nil {
		delete(u.counted, a.ID)
		return
	}
	u.cl.Add(a)
	u.counted[a.ID] = a
	if u.byNode[a.Node] == nil {
		u.byNode[a.Node] = map[string]bool{}
	}
	u.byNode[a.Node][a.ID] = true
}

// remove uncounts an allocation that stopped being live.
func (u *usage) remove(id string) {
	if old := u.counted[id]; old != nil {
		u.cl.Remove(old)
		delete(u.counted, id)
		delete(u.byNode[old.Node], id)
	}
}

// addNode adds a node to the cluster, keeping Nodes sorted by name.
func (c *Cluster) addNode(n *Node) {
	i := sort.Search(len(c.Nodes), func(i int) bool { return c.Nodes[i].Name() >= n.Name() })
	c.Nodes = append(c.Nodes, nil)
	copy(c.Nodes[i+1:], c.Nodes[i:])
	c.Nodes[i] = n
	c.byName[n.Name()] = n
}

// removeNode removes a node from the cluster.
func (c *Cluster) removeNode(name string) {
	for i, n := range c.Nodes {
		if n.Name() == name {
			c.Nodes = append(c.Nodes[:i], c.Nodes[i+1:]...)
			break
		}
	}
	delete(c.byName, name)
}

// buildCluster reads a whole cluster from the view (for a dry run on
// another goroutine, which must not share the leader loop's).
func buildCluster(v View, sn *snapshot) *Cluster {
	infos := v.NodeInfos()
	list := make([]*job.NodeInfo, 0, len(infos))
	for _, in := range infos {
		list = append(list, in.V)
	}
	var live []*job.Allocation
	for _, s := range v.Allocs() {
		if !s.Alloc.V.Terminal(s.Status.V) {
			live = append(live, s.Alloc.V)
		}
	}
	return NewCluster(list, func(n string) bool { return sn.alive[n] }, live)
}
