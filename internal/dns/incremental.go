package dns

import (
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

// indexedSource is what incremental building needs beyond catalogSource:
// each resource's last-change revision (*view.View satisfies it).
type indexedSource interface {
	catalogSource
	Index(res view.Resource) uint64
}

// catalogCache is what the incremental builder remembers between tables:
// each service and node as built last time, with the view index it was
// built at. Server.buildMu guards it; the records it holds are shared with
// published tables and never modified.
type catalogCache struct {
	services map[string]builtService // service name as registered
	nodes    map[string]builtNode    // node name as registered
	nodesIdx uint64                  // view.NodesRes at the last build
	// byService and byNode are the maps of the last table, reused whole
	// while nothing they are made of changed.
	byService map[string]*service
	byNode    map[string]*nodeRec
	ptr       map[string]string // before removing names zones define
}

type builtService struct {
	index uint64
	svc   *service // nil: no answerable instance, or not a valid label
}

type builtNode struct {
	modIndex uint64
	rec      *nodeRec // nil: not a valid label or address
	rev      string   // reverse name of its address; "" when none
}

func newCatalogCache() *catalogCache {
	return &catalogCache{services: map[string]builtService{}, nodes: map[string]builtNode{}}
}

// update rebuilds the services and nodes that changed since the last call
// and returns the maps of a table: services, nodes and reverse names (the
// latter before zones remove theirs). The result equals table.buildCatalog
// on the same view. built counts what was rebuilt.
func (c *catalogCache) update(cat indexedSource, dc string, allowWarning bool, built func(kind string)) (map[string]*service, map[string]*nodeRec, map[string]string) {
	min := catalog.Passing
	if allowWarning {
		min = catalog.Warning
	}
	names := cat.ServiceNames()
	changed := c.byService == nil || len(names) != len(c.services)
	for _, name := range names {
		idx := cat.Index(view.ServiceRes(name))
		if b, ok := c.services[name]; ok && b.index == idx {
			continue
		}
		changed = true
		var svc *service
		if validLabel(name) {
			svc = buildService(cat.Entries(name), dc, min)
		}
		c.services[name] = builtService{index: idx, svc: svc}
		built("service")
	}
	if changed {
		live := make(map[string]bool, len(names))
		c.byService = make(map[string]*service, len(names))
		for _, name := range names { // in order: the last of names equal but for case wins, as in buildCatalog
			live[name] = true
			if svc := c.services[name].svc; svc != nil {
				c.byService[strings.ToLower(name)] = svc
			}
		}
		for name := range c.services {
			if !live[name] {
				delete(c.services, name)
			}
		}
	}
	if idx := cat.Index(view.NodesRes); c.byNode == nil || idx != c.nodesIdx {
		c.nodesIdx = idx
		c.updateNodes(cat.Nodes(), built)
	}
	return c.byService, c.byNode, c.ptr
}

// updateNodes rebuilds the nodes whose record moved and reassembles the
// node and reverse maps in the view's order.
func (c *catalogCache) updateNodes(nodes []*catalog.Node, built func(kind string)) {
	live := make(map[string]bool, len(nodes))
	c.byNode = make(map[string]*nodeRec, len(nodes))
	c.ptr = make(map[string]string, len(nodes))
	for _, n := range nodes {
		live[n.Name] = true
		b, ok := c.nodes[n.Name]
		if !ok || b.modIndex != n.ModifyIndex || n.ModifyIndex == 0 {
			b = buildNode(n)
			c.nodes[n.Name] = b
			built("node")
		}
		if b.rec == nil {
			continue
		}
		key := strings.ToLower(n.Name)
		c.byNode[key] = b.rec
		if b.rev != "" {
			c.ptr[b.rev] = key
		}
	}
	for name := range c.nodes {
		if !live[name] {
			delete(c.nodes, name)
		}
	}
}

func buildNode(n *catalog.Node) builtNode {
	b := builtNode{modIndex: n.ModifyIndex}
	a, err := netip.ParseAddr(n.Address)
	if err != nil || !validLabel(n.Name) {
		return b
	}
	b.rec = &nodeRec{name: n.Name, addr: a}
	if rev, err := dns.ReverseAddr(a.String()); err == nil {
		b.rev = rev
	}
	return b
}

// buildService builds one service's records from its entries: those at
// least min, answerable (with an address). nil when none is.
func buildService(entries []view.Entry, dc string, min catalog.Status) *service {
	var s service
	for _, e := range entries {
		if !e.Status.AtLeast(min) {
			continue
		}
		r, ok := instanceRec(e, dc)
		if !ok {
			continue
		}
		s.all = append(s.all, r)
		for _, tag := range e.Instance.Tags {
			tag = strings.ToLower(tag)
			if s.byTag == nil {
				s.byTag = map[string][]instRec{}
			}
			if l := s.byTag[tag]; len(l) == 0 || l[len(l)-1] != r {
				s.byTag[tag] = append(l, r)
			}
		}
	}
	if len(s.all) == 0 {
		return nil
	}
	return &s
}
