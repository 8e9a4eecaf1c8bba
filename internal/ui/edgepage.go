package ui

import "strings"

type edgeData struct {
	Note        string
	Routers     []edgeRouter
	Services    []edgeService
	Middlewares []edgeMiddleware
	EntryPoints []string
	Counts      map[string]map[string]int
	Charts      []chartRef // request rates of the routers shown
}

// edge shows the edge's routing as Traefik's dashboard does: routers,
// services and middlewares with their status and errors.
func (s *Server) edge(rc *reqCtx) (any, error) {
	x := s.edgeIndex(rc)
	l := parseList(rc.q, "name")
	d := &edgeData{Note: x.note, Counts: map[string]map[string]int{"routers": {}, "services": {}, "middlewares": {}}}
	eps := map[string]bool{}
	for _, r := range x.routers {
		d.Counts["routers"][r.Status]++
		for _, e := range r.EntryPoints {
			eps[e] = true
		}
		if l.match(r.Name, r.Rule, r.Service, r.Status, strings.Join(r.Errors, " ")) {
			d.Routers = append(d.Routers, r)
		}
	}
	for _, sv := range x.services {
		d.Counts["services"][sv.Status]++
		if l.match(sv.Name, sv.Status) {
			d.Services = append(d.Services, sv)
		}
	}
	for _, m := range x.middlewares {
		d.Counts["middlewares"][m.Status]++
		if l.match(m.Name, m.Type, m.Status) {
			d.Middlewares = append(d.Middlewares, m)
		}
	}
	for e := range eps {
		d.EntryPoints = append(d.EntryPoints, e)
	}
	sortStrings(d.EntryPoints)
	if len(d.Routers) > 0 {
		d.Charts = routerCharts(s.chartList(rc, ""), d.Routers)
	}
	return d, nil
}
