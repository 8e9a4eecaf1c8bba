package ui

import (
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/view"
)

// serviceRow is one line of the services list.
type serviceRow struct {
	Name                       string
	Instances                  int
	Passing, Warning, Critical int
	Status                     catalog.Status
	Tags                       []string
	Hosts                      []string
}

type servicesData struct {
	Cols  []column
	Rows  []serviceRow
	Pager pager
	Total int
}

func (s *Server) services(rc *reqCtx) (any, error) {
	if name := rc.arg(0); name != "" {
		return s.service(rc, name)
	}
	l := parseList(rc.q, "name")
	edge := s.edgeIndex(rc)
	var rows []serviceRow
	for _, name := range s.deps.View.ServiceNames() {
		if !rc.can(acl.Service, name, acl.Read) {
			continue
		}
		es := s.deps.View.Entries(name)
		row := serviceRow{Name: name, Instances: len(es), Status: catalog.Passing}
		var tags []string
		for _, e := range es {
			switch e.Status {
			case catalog.Passing:
				row.Passing++
			case catalog.Warning:
				row.Warning++
			default:
				row.Critical++
			}
			row.Status = worse(row.Status, e.Status)
			tags = append(tags, e.Instance.Tags...)
		}
		slices.Sort(tags)
		row.Tags = slices.Compact(tags)
		row.Hosts = edge.hostsOf(es)
		if !l.match(append([]string{name}, append(row.Tags, row.Hosts...)...)...) {
			continue
		}
		rows = append(rows, row)
	}
	sortBy(l, rows, map[string]func(a, b serviceRow) int{
		"instances": func(a, b serviceRow) int { return cmp.Compare(a.Instances, b.Instances) },
		"health": func(a, b serviceRow) int {
			return cmp.Compare(b.Critical*1000000+b.Warning, a.Critical*1000000+a.Warning)
		},
	}, func(a, b serviceRow) int { return strings.Compare(a.Name, b.Name) })
	d := &servicesData{Total: len(rows), Cols: l.columns(
		[]string{"Service", "Health", "Instances", "Tags", "Routed hosts"},
		[]string{"name", "health", "instances", "", ""})}
	d.Rows, d.Pager = paginate(l, rows)
	return d, nil
}

// instanceRow is one instance on a service's page.
type instanceRow struct {
	ID, Node, Address string
	Port              int
	Status            catalog.Status
	Tags              []string
	Checks            []*catalog.Check
}

type serviceData struct {
	Name      string
	Cols      []column
	Instances []instanceRow
	Pager     pager
	Total     int
	Counts    map[string]int
	Routers   []edgeRouter
	Middles   []edgeMiddleware
	TagErrors []string
	DNS       []string
	EdgeNote  string
}

func (s *Server) service(rc *reqCtx, name string) (any, error) {
	if err := rc.s.kit.Authorize(rc.r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return nil, err
	}
	es := s.deps.View.Entries(name)
	if len(es) == 0 {
		return nil, httpkit.Errorf(http.StatusNotFound, "no service %q", name)
	}
	l := parseList(rc.q, "node")
	d := &serviceData{Name: name, Counts: map[string]int{}}
	tagSet := map[string]bool{}
	routerNames := map[string]bool{}
	for _, e := range es {
		d.Counts[string(e.Status)]++
		for _, t := range e.Instance.Tags {
			tagSet[t] = true
		}
		if !rc.can(acl.Node, e.Instance.Node, acl.Read) {
			continue
		}
		in := e.Instance
		addr := in.Address
		if addr == "" && e.Node != nil {
			addr = e.Node.Address
		}
		row := instanceRow{ID: in.ID, Node: in.Node, Address: addr, Port: in.Port, Status: e.Status, Tags: in.Tags, Checks: e.Checks}
		var outs []string
		for _, c := range e.Checks {
			outs = append(outs, c.Name, c.Output)
		}
		if l.match(append([]string{in.ID, in.Node, addr, string(e.Status)}, append(in.Tags, outs...)...)...) {
			d.Instances = append(d.Instances, row)
		}
	}
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
		if rest, ok := strings.CutPrefix(t, "traefik."); ok {
			if err := routing.CheckTag(t); err != nil {
				d.TagErrors = append(d.TagErrors, err.Error())
			}
			for _, kind := range []string{"http.routers.", "tcp.routers."} {
				if r, ok := strings.CutPrefix(rest, kind); ok {
					routerNames[strings.SplitN(r, ".", 2)[0]] = true
				}
			}
		}
	}
	slices.Sort(tags)
	slices.Sort(d.TagErrors)
	sortBy(l, d.Instances, map[string]func(a, b instanceRow) int{
		"id":     func(a, b instanceRow) int { return strings.Compare(a.ID, b.ID) },
		"health": func(a, b instanceRow) int { return cmp.Compare(rankOf(b.Status), rankOf(a.Status)) },
		"port":   func(a, b instanceRow) int { return cmp.Compare(a.Port, b.Port) },
	}, func(a, b instanceRow) int {
		return cmp.Or(strings.Compare(a.Node, b.Node), strings.Compare(a.ID, b.ID))
	})
	d.Total = len(d.Instances)
	d.Cols = l.columns([]string{"Instance", "Health", "Node", "Address", "Port", "Checks"}, []string{"id", "health", "node", "", "port", ""})
	d.Instances, d.Pager = paginate(l, d.Instances)
	edge := s.edgeIndex(rc)
	d.EdgeNote = edge.note
	d.Routers, d.Middles = edge.forService(es, routerNames)
	d.DNS = dnsNames(name, tags, d.Routers)
	return d, nil
}

func rankOf(s catalog.Status) int {
	switch s {
	case catalog.Passing:
		return 0
	case catalog.Warning:
		return 1
	}
	return 2
}

// dnsNames are the names orbit's DNS answers for a service: Consul's
// service names (with each tag), the SRV name and its routers' hosts.
func dnsNames(name string, tags []string, routers []edgeRouter) []string {
	out := []string{name + ".service.consul", "_" + name + "._tcp.service.consul"}
	for _, t := range tags {
		if validLabel(t) {
			out = append(out, t+"."+name+".service.consul")
		}
	}
	for _, r := range routers {
		if r.Status != "disabled" {
			out = append(out, r.Hosts...)
		}
	}
	slices.Sort(out[2:])
	return slices.Compact(out)
}

var labelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func validLabel(s string) bool { return labelRE.MatchString(s) }

// entryKey names an instance across nodes.
func entryKey(e view.Entry) string   { return e.Instance.Node + "/" + e.Instance.ID }
func (*serviceData) tplName() string { return "service" }
