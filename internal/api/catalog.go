package api

import (
	"fmt"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

func (s *Server) catalogRegister(w http.ResponseWriter, r *http.Request) error {
	var in catalogIn
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.Node == "" {
		return httpkit.BadRequest("Must provide node")
	}
	if in.Datacenter != "" && in.Datacenter != s.cfg.Datacenter {
		return httpkit.BadRequest("No path to datacenter %q", in.Datacenter)
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: in.Node, Access: acl.Write}); err != nil {
		return err
	}
	node := &catalog.Node{Name: in.Node, ID: in.ID, Address: in.Address, Datacenter: s.cfg.Datacenter,
		TaggedAddresses: in.TaggedAddresses, Meta: in.NodeMeta}
	if old, ok := s.view.Node(in.Node); ok {
		if in.SkipNodeUpdate || in.Address == "" {
			node = old
		} else {
			node.Agent, node.Roles = old.Agent, old.Roles // an agent stays an agent
		}
	} else if in.Address == "" {
		// SkipNodeUpdate for a node not registered yet (Consul creates it
		// without an address): orbit's nodes need one, so the service's
		// stands in until the node's own registration sets it.
		if !in.SkipNodeUpdate || in.Service == nil || in.Service.Address == "" {
			return httpkit.BadRequest("Must provide address")
		}
		node.Address = in.Service.Address
	}
	var inst *catalog.Instance
	var checks []*catalog.Check
	if in.Service != nil {
		var err error
		sv := *in.Service
		sv.Check, sv.Checks = nil, nil
		if inst, _, err = s.toInstance(in.Node, &sv); err != nil {
			return err
		}
		if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: inst.Name, Access: acl.Write}); err != nil {
			return err
		}
	}
	defs := in.Checks
	if in.Check != nil {
		defs = append([]*checkIn{in.Check}, defs...)
	}
	for _, d := range defs {
		c, err := s.toCheck(in.Node, d, false)
		if err != nil {
			return err
		}
		if c.CheckID == "" {
			c.CheckID = c.Name
		}
		if c.ServiceID != "" && (inst == nil || c.ServiceID != inst.ID) {
			if _, ok := s.view.Instance(in.Node, c.ServiceID); !ok {
				return httpkit.BadRequest("check %q: service %q is not registered on node %q", c.CheckID, c.ServiceID, in.Node)
			}
		}
		if err := c.Validate(); err != nil {
			return err
		}
		checks = append(checks, c)
	}
	rev, err := s.store.RegisterCatalog(r.Context(), node, inst, checks)
	if err != nil {
		return err
	}
	if err := s.waitWrite(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}

func (s *Server) catalogDeregister(w http.ResponseWriter, r *http.Request) error {
	var in catalogOut
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.Node == "" {
		return httpkit.BadRequest("Must provide node")
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: in.Node, Access: acl.Write}); err != nil {
		return err
	}
	var rev int64
	var err error
	switch {
	case in.ServiceID != "":
		_, rev, err = s.store.DeregisterInstance(r.Context(), in.Node, in.ServiceID)
	case in.CheckID != "":
		_, rev, err = s.store.DeleteCheck(r.Context(), in.Node, in.CheckID)
	default:
		rev, err = s.store.DeregisterNode(r.Context(), in.Node)
	}
	if err != nil {
		return err
	}
	if rev > 0 {
		if err := s.waitWrite(r.Context(), rev); err != nil {
			return err
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}

func (s *Server) catalogDatacenters(w http.ResponseWriter, r *http.Request) error {
	return httpkit.WriteJSON(w, r, http.StatusOK, []string{s.cfg.Datacenter})
}

// catalogNodes lists the nodes the token may read (node:read on each).
func (s *Server) catalogNodes(w http.ResponseWriter, r *http.Request) error {
	meta, err := nodeMeta(r)
	if err != nil {
		return err
	}
	return s.blocking(w, r, view.NodesRes, func() (any, error) {
		f := s.aclFilter(w, r)
		out := make([]*nodeJSON, 0)
		for _, n := range s.view.Nodes() {
			if metaMatches(n.Meta, meta) && f.allows(acl.Rule{Resource: acl.Node, Segment: n.Name, Access: acl.Read}) {
				out = append(out, toNodeJSON(n))
			}
		}
		if f.err != nil {
			return nil, f.err
		}
		return applyFilter(r, out)
	})
}

func (s *Server) catalogNode(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("node")
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.NodeRes(name), func() (any, error) {
		n, ok := s.view.Node(name)
		if !ok {
			return (*struct{})(nil), nil // Consul answers null for an unknown node
		}
		svcs := map[string]*agentServiceJSON{}
		for _, in := range s.view.NodeInstances(name) {
			svcs[in.ID] = toServiceJSON(in, true)
		}
		return map[string]any{"Node": toNodeJSON(n), "Services": svcs}, nil
	})
}

func (s *Server) catalogNodeServices(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("node")
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.NodeRes(name), func() (any, error) {
		n, ok := s.view.Node(name)
		if !ok {
			return nil, fmt.Errorf("%w: node %q", httpkit.ErrNotFound, name)
		}
		svcs := []*agentServiceJSON{}
		for _, in := range s.view.NodeInstances(name) {
			svcs = append(svcs, toServiceJSON(in, true))
		}
		svcs, err := applyFilter(r, svcs)
		return map[string]any{"Node": toNodeJSON(n), "Services": svcs}, err
	})
}

// catalogServices lists the services the token may read (service:read
// on each).
func (s *Server) catalogServices(w http.ResponseWriter, r *http.Request) error {
	meta, err := nodeMeta(r)
	if err != nil {
		return err
	}
	return s.blocking(w, r, view.ServicesRes, func() (any, error) {
		f := s.aclFilter(w, r)
		readable := func(name string) bool {
			return f.allows(acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read})
		}
		if meta == nil && r.URL.Query().Get("filter") == "" {
			all := s.view.Services()
			out := make(map[string][]string, len(all))
			for name, tags := range all {
				if readable(name) {
					out[name] = tags
				}
			}
			return out, f.err
		}
		// Filtered: evaluate over the catalog-service shape, as Consul does.
		out := map[string][]string{}
		for name := range s.view.Services() {
			if !readable(name) {
				continue
			}
			var list []*catalogServiceJSON
			for _, e := range s.view.Entries(name) {
				if metaMatches(e.Node.Meta, meta) {
					list = append(list, toCatalogServiceJSON(e))
				}
			}
			list, err := applyFilter(r, list)
			if err != nil {
				return nil, err
			}
			for _, cs := range list {
				out[name] = append(out[name], cs.ServiceTags...)
			}
			if _, ok := out[name]; !ok && len(list) > 0 {
				out[name] = []string{}
			}
		}
		for k, v := range out {
			out[k] = dedupSorted(v)
		}
		return out, f.err
	})
}

func (s *Server) catalogService(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	return s.serveCatalogService(w, r, name, view.ServiceRes(name), func() []view.Entry { return s.view.Entries(name) })
}

// serveCatalogService answers /v1/catalog/service and /v1/catalog/connect
// for name: the instances entries lists, blocking on res.
func (s *Server) serveCatalogService(w http.ResponseWriter, r *http.Request, name string, res view.Resource, entries func() []view.Entry) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	meta, err := nodeMeta(r)
	if err != nil {
		return err
	}
	tags := r.URL.Query()["tag"]
	return s.blocking(w, r, res, func() (any, error) {
		out := make([]*catalogServiceJSON, 0)
		for _, e := range entries() {
			if e.Instance.HasTags(tags) && metaMatches(e.Node.Meta, meta) {
				out = append(out, toCatalogServiceJSON(e))
			}
		}
		return applyFilter(r, out)
	})
}
