package ui

import (
	"cmp"
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

type nodeRow struct {
	Name, Address, Status string
	Roles                 []string
	Instances             int
	Checks                []*catalog.Check
	Meta                  map[string]string
}

type nodesData struct {
	Cols  []column
	Rows  []nodeRow
	Pager pager
}

func (s *Server) nodes(rc *reqCtx) (any, error) {
	if name := rc.arg(0); name != "" {
		return s.node(rc, name)
	}
	l := parseList(rc.q, "name")
	var rows []nodeRow
	for _, n := range s.deps.View.Nodes() {
		if !rc.can(acl.Node, n.Name, acl.Read) {
			continue
		}
		row := s.nodeRow(n)
		if l.match(n.Name, n.Address, row.Status, strings.Join(n.Roles, " ")) {
			rows = append(rows, row)
		}
	}
	sortBy(l, rows, map[string]func(a, b nodeRow) int{
		"status":    func(a, b nodeRow) int { return strings.Compare(a.Status, b.Status) },
		"instances": func(a, b nodeRow) int { return cmp.Compare(a.Instances, b.Instances) },
		"address":   func(a, b nodeRow) int { return strings.Compare(a.Address, b.Address) },
	}, func(a, b nodeRow) int { return strings.Compare(a.Name, b.Name) })
	d := &nodesData{Cols: l.columns([]string{"Node", "Status", "Address", "Roles", "Instances"}, []string{"name", "status", "address", "", "instances"})}
	d.Rows, d.Pager = paginate(l, rows)
	return d, nil
}

func (s *Server) nodeRow(n *catalog.Node) nodeRow {
	st := "down"
	if s.deps.View.Alive(n.Name) {
		st = "alive"
	}
	return nodeRow{Name: n.Name, Address: n.Address, Status: st, Roles: n.Roles, Meta: n.Meta,
		Instances: len(s.deps.View.NodeInstances(n.Name)), Checks: s.deps.View.NodeChecks(n.Name)}
}

type nodeData struct {
	nodeRow
	Host      string // the metrics host prefix: "" for this agent, /host/<name> for another
	Instances []*catalog.Instance
	Allocs    []allocRow
	AllocNote string
	Resources map[string]any
	Charts    chartSet
}

func (*nodeData) tplName() string { return "node" }

func (s *Server) node(rc *reqCtx, name string) (any, error) {
	if err := rc.s.kit.Authorize(rc.r, acl.Rule{Resource: acl.Node, Segment: name, Access: acl.Read}); err != nil {
		return nil, err
	}
	var n *catalog.Node
	for _, x := range s.deps.View.Nodes() {
		if x.Name == name {
			n = x
		}
	}
	if n == nil {
		return nil, httpkit.Errorf(http.StatusNotFound, "no node %q", name)
	}
	d := &nodeData{nodeRow: s.nodeRow(n), Instances: s.deps.View.NodeInstances(name)}
	if name != s.deps.Node {
		d.Host = "/host/" + name
	}
	var nn struct {
		NodeResources map[string]any
		ID            string
	}
	if err := rc.get("/v1/node/"+escapeKey(name), &nn); err == nil {
		d.Resources = nn.NodeResources
	}
	d.Charts = s.chartsAvailable(rc, d.Host, "system.cpu", "CPU", "system.ram", "Memory", "system.load", "Load",
		"system.ip", "Network", "anomaly_detection.anomaly_rate", "Anomaly rate")
	if err := rc.get("/v1/node/"+escapeKey(name)+"/allocations", &d.Allocs); err != nil {
		d.AllocNote = errNote(err)
	}
	return d, nil
}

// chartsAvailable keeps the charts (id, title pairs) that the node's
// metrics API serves.
func (s *Server) chartsAvailable(rc *reqCtx, host string, idTitle ...string) chartSet {
	var charts struct {
		Charts map[string]any `json:"charts"`
	}
	c := chartSet{Host: host}
	if err := rc.get(host+"/api/v1/charts", &charts); err != nil {
		return c
	}
	for i := 0; i+1 < len(idTitle); i += 2 {
		if _, ok := charts.Charts[idTitle[i]]; ok {
			c.Charts = append(c.Charts, chartRef{ID: idTitle[i], Title: idTitle[i+1]})
		}
	}
	return c
}
