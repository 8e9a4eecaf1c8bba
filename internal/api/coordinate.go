package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Network coordinates (/v1/coordinate/*). orbit runs no Serf, so it
// computes none: it keeps what clients send to /v1/coordinate/update (one
// etcd key per node) and answers them, as a Consul cluster answers before
// its agents exchanged any probe when nothing was sent.

// familyCoordinates holds one coordinate entry per node.
const familyCoordinates = "coordinates"

func coordinateKey(node string) string { return store.FamilyKey(familyCoordinates, node) }

// coordJSON is a Vivaldi coordinate as Consul encodes it.
type coordJSON struct {
	Vec        []float64
	Error      float64
	Adjustment float64
	Height     float64
}

// coordEntryJSON is Consul's CoordinateEntry.
type coordEntryJSON struct {
	Node    string
	Segment string
	Coord   *coordJSON
}

// validate is Consul's check of an update: a node, and a coordinate whose
// components are all finite numbers.
func (e *coordEntryJSON) validate() error {
	if e.Node == "" {
		return httpkit.BadRequest("Must provide node")
	}
	if strings.ContainsAny(e.Node, "/\x00") {
		return httpkit.BadRequest("invalid node name %q", e.Node)
	}
	if e.Coord == nil {
		return httpkit.BadRequest("Must provide coordinate")
	}
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	ok := len(e.Coord.Vec) > 0 && finite(e.Coord.Error) && finite(e.Coord.Adjustment) && finite(e.Coord.Height)
	for _, v := range e.Coord.Vec {
		ok = ok && finite(v)
	}
	if !ok {
		return httpkit.BadRequest("invalid coordinate")
	}
	return nil
}

func (s *Server) coordinateRoutes() {
	s.handle("GET /v1/coordinate/datacenters", s.coordinateDatacenters)
	s.handle("GET /v1/coordinate/nodes", s.coordinateNodes)
	s.handle("GET /v1/coordinate/node/{node}", s.coordinateNode)
	s.handle("PUT /v1/coordinate/update", s.coordinateUpdate)
}

// coordinateDatacenters lists this datacenter with the coordinates of its
// servers known (none until a client sends some), as Consul's WAN map.
func (s *Server) coordinateDatacenters(w http.ResponseWriter, r *http.Request) error {
	coords, err := s.coordinates(r)
	if err != nil {
		return err
	}
	servers := make([]*coordEntryJSON, 0)
	for _, c := range coords {
		if n, ok := s.view.Node(c.Node); ok && slices.Contains(n.Roles, "server") {
			servers = append(servers, c)
		}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, []map[string]any{
		{"Datacenter": s.cfg.Datacenter, "AreaID": "wan", "Coordinates": servers},
	})
}

func (s *Server) coordinateNodes(w http.ResponseWriter, r *http.Request) error {
	return s.blocking(w, r, view.FamilyRes(familyCoordinates), func() (any, error) {
		f := s.aclFilter(w, r)
		coords, err := s.coordinates(r)
		if err != nil {
			return nil, err
		}
		out := make([]*coordEntryJSON, 0, len(coords))
		for _, c := range coords {
			if f.allows(acl.Rule{Resource: acl.Node, Segment: c.Node, Access: acl.Read}) {
				out = append(out, c)
			}
		}
		return out, f.err
	})
}

func (s *Server) coordinateNode(w http.ResponseWriter, r *http.Request) error {
	node := r.PathValue("node")
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: node, Access: acl.Read}); err != nil {
		return err
	}
	return s.blocking(w, r, view.FamilyRes(familyCoordinates), func() (any, error) {
		coords, err := s.coordinates(r)
		if err != nil {
			return nil, err
		}
		for _, c := range coords {
			if c.Node == node {
				return []*coordEntryJSON{c}, nil
			}
		}
		return nil, fmt.Errorf("%w: no coordinate for node %q", httpkit.ErrNotFound, node)
	})
}

// coordinates reads every stored coordinate of a node still in the
// catalog, ordered by node.
func (s *Server) coordinates(r *http.Request) ([]*coordEntryJSON, error) {
	kvs, _, err := s.store.List(r.Context(), store.FamilyKey(familyCoordinates, ""))
	if err != nil {
		return nil, err
	}
	out := make([]*coordEntryJSON, 0, len(kvs))
	for _, kv := range kvs {
		var e coordEntryJSON
		if err := json.Unmarshal(kv.Value, &e); err != nil {
			s.log.Error("skip undecodable coordinate", "key", kv.Key, "err", err)
			continue
		}
		if _, ok := s.view.Node(e.Node); ok {
			out = append(out, &e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, nil
}

func (s *Server) coordinateUpdate(w http.ResponseWriter, r *http.Request) error {
	var e coordEntryJSON
	if err := decodeBody(r, &e); err != nil {
		return err
	}
	if err := e.validate(); err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: e.Node, Access: acl.Write}); err != nil {
		return err
	}
	if _, ok := s.view.Node(e.Node); !ok {
		return fmt.Errorf("%w: node %q is not registered", httpkit.ErrNotFound, e.Node)
	}
	b, err := json.Marshal(&e)
	if err != nil {
		return fmt.Errorf("encode coordinate of %q: %w", e.Node, err)
	}
	_, rev, err := s.store.Txn(r.Context(), nil, []store.Op{store.Put(coordinateKey(e.Node), b)})
	if err != nil {
		return fmt.Errorf("update coordinate of %q: %w", e.Node, err)
	}
	if err := s.waitWrite(r.Context(), rev); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, true)
}
