package ui

import (
	"regexp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/view"
)

// edgeRouter is a router of the edge API (Traefik's dashboard shape).
type edgeRouter struct {
	Name        string   `json:"name"`
	EntryPoints []string `json:"entryPoints"`
	Rule        string   `json:"rule"`
	Priority    int      `json:"priority"`
	Service     string   `json:"service"`
	Status      string   `json:"status"`
	Middlewares []string `json:"middlewares"`
	Errors      []string `json:"error"`
	TLS         any      `json:"tls"`
	Hosts       []string `json:"-"`
}

// edgeService is a load-balanced service of the edge API.
type edgeService struct {
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	Errors       []string          `json:"error"`
	UsedBy       []string          `json:"usedBy"`
	ServerStatus map[string]string `json:"serverStatus"`
	LoadBalancer struct {
		Strategy string `json:"strategy"`
		Servers  []struct {
			URL      string `json:"url"`
			Weight   int    `json:"weight"`
			Instance string `json:"instance"`
			Node     string `json:"node"`
		} `json:"servers"`
	} `json:"loadBalancer"`
}

// edgeMiddleware is a middleware of the edge API.
type edgeMiddleware struct {
	Name   string         `json:"name"`
	Type   string         `json:"type"`
	Status string         `json:"status"`
	Errors []string       `json:"error"`
	UsedBy []string       `json:"usedBy"`
	Config map[string]any `json:"-"`
}

// edgeIdx is the edge's routing, read once per request.
type edgeIdx struct {
	routers     []edgeRouter
	services    []edgeService
	middlewares []edgeMiddleware
	byInstance  map[string][]string // node/instance -> edge services
	note        string
}

var hostRE = regexp.MustCompile("Host\\(([^)]*)\\)")
var quotedRE = regexp.MustCompile("[`\"]([^`\"]+)[`\"]")

// hostsOfRule lists the host names of a rule's Host matchers.
func hostsOfRule(rule string) []string {
	var out []string
	for _, m := range hostRE.FindAllStringSubmatch(rule, -1) {
		for _, q := range quotedRE.FindAllStringSubmatch(m[1], -1) {
			out = append(out, q[1])
		}
	}
	return out
}

// edgeIndex reads the edge API; an agent without the edge role, or a
// token that may not read it, gives an empty index with a note.
func (s *Server) edgeIndex(rc *reqCtx) *edgeIdx {
	x := &edgeIdx{byInstance: map[string][]string{}}
	if err := rc.get("/v1/edge/routers", &x.routers); err != nil {
		x.note = "edge routing is not readable here: " + errNote(err)
		return x
	}
	_ = rc.get("/v1/edge/services", &x.services)
	_ = rc.get("/v1/edge/middlewares", &x.middlewares)
	for i := range x.routers {
		x.routers[i].Hosts = hostsOfRule(x.routers[i].Rule)
	}
	for _, sv := range x.services {
		for _, srv := range sv.LoadBalancer.Servers {
			k := srv.Node + "/" + srv.Instance
			x.byInstance[k] = append(x.byInstance[k], sv.Name)
		}
	}
	return x
}

func errNote(err error) string {
	switch {
	case denied(err):
		return "this token may not read it"
	case absent(err):
		return "this agent runs no edge"
	}
	return err.Error()
}

// edgeServicesOf are the edge services the entries are servers of.
func (x *edgeIdx) edgeServicesOf(es []view.Entry) map[string]bool {
	out := map[string]bool{}
	for _, e := range es {
		for _, n := range x.byInstance[entryKey(e)] {
			out[n] = true
		}
	}
	return out
}

// hostsOf lists the hosts routed to the entries' instances.
func (x *edgeIdx) hostsOf(es []view.Entry) []string {
	if len(x.routers) == 0 {
		return nil
	}
	svcs := x.edgeServicesOf(es)
	var out []string
	for _, r := range x.routers {
		if svcs[r.Service] && r.Status != "disabled" {
			out = append(out, r.Hosts...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// forService lists the routers that send traffic to the entries or that
// their tags name (so a router disabled by a wrong tag shows with its
// error), and the middlewares those routers use.
func (x *edgeIdx) forService(es []view.Entry, named map[string]bool) ([]edgeRouter, []edgeMiddleware) {
	svcs := x.edgeServicesOf(es)
	var rs []edgeRouter
	mws := map[string]bool{}
	for _, r := range x.routers {
		base, _, _ := strings.Cut(r.Name, "@")
		if svcs[r.Service] || named[base] {
			rs = append(rs, r)
			for _, m := range r.Middlewares {
				mws[m] = true
			}
		}
	}
	var ms []edgeMiddleware
	for _, m := range x.middlewares {
		base, _, _ := strings.Cut(m.Name, "@")
		if mws[m.Name] || mws[base] {
			ms = append(ms, m)
		}
	}
	return rs, ms
}
