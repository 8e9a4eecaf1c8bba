package api

import (
	"net/http"
	"slices"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

func (s *Server) healthService(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	return s.serveHealthService(w, r, name, view.ServiceRes(name), func() []view.Entry { return s.view.Entries(name) })
}

// serveHealthService answers /v1/health/service and /v1/health/connect for
// name: the instances entries lists, blocking on res.
func (s *Server) serveHealthService(w http.ResponseWriter, r *http.Request, name string, res view.Resource, entries func() []view.Entry) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	meta, err := nodeMeta(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	tags := q["tag"]
	passing := false
	if v, ok := q["passing"]; ok {
		passing = len(v) == 0 || v[0] == "" || v[0] == "1" || v[0] == "true"
		if len(v) > 0 && v[0] != "" && v[0] != "1" && v[0] != "true" && v[0] != "0" && v[0] != "false" {
			return httpkit.BadRequest("invalid passing %q: want true or false", v[0])
		}
	}
	return s.blocking(w, r, res, func() (any, error) {
		f := s.aclFilter(w, r)
		out := make([]*serviceEntryJSON, 0)
		for _, e := range entries() {
			if passing && e.Status != catalog.Passing {
				continue
			}
			if !e.Instance.HasTags(tags) || !metaMatches(e.Node.Meta, meta) {
				continue
			}
			// As Consul: an instance on a node the token may not read is
			// left out.
			if !f.allows(acl.Rule{Resource: acl.Node, Segment: e.Node.Name, Access: acl.Read}) {
				continue
			}
			out = append(out, toEntryJSON(e))
		}
		if f.err != nil {
			return nil, f.err
		}
		return applyFilter(r, out)
	})
}

func (s *Server) healthChecks(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.ServiceRes(name), func() (any, error) {
		return applyFilter(r, toChecksJSON(s.view.ServiceChecks(name)))
	})
}

func (s *Server) healthNode(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("node")
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.NodeRes(name), func() (any, error) {
		return applyFilter(r, toChecksJSON(s.view.NodeChecks(name)))
	})
}

func (s *Server) healthState(w http.ResponseWriter, r *http.Request) error {
	state := r.PathValue("state")
	if state != "any" {
		if _, err := catalog.ParseStatus(state); err != nil {
			return httpkit.BadRequest("Invalid state %q: want any, passing, warning or critical", state)
		}
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.ChecksRes, func() (any, error) {
		var list []*catalog.Check
		for _, c := range s.view.AllChecks() {
			if state == "any" || string(c.Status) == state {
				list = append(list, c)
			}
		}
		return applyFilter(r, toChecksJSON(list))
	})
}

func dedupSorted(v []string) []string {
	slices.Sort(v)
	v = slices.Compact(v)
	if v == nil {
		return []string{}
	}
	return v
}
