package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// The prepared-query endpoints store one key per query (family
// "queries", keyed by ID). Access follows Consul's query rules on the
// query's name: query:write to create, change or delete it, query:read to
// read it; executing needs service:read on the service it looks up. A
// query bound to a session disappears with the session.

const familyQueries = "queries"

var queriesRes = view.FamilyRes(familyQueries)

func queryKey(id string) string { return store.FamilyKey(familyQueries, id) }

// hiddenToken replaces a query's token for readers without acl:write.
const hiddenToken = "<hidden>"

func (s *Server) queryRoutes() {
	s.handle("GET /v1/query", s.queryList)
	s.handle("POST /v1/query", s.queryCreate)
	s.handle("GET /v1/query/{id}", s.queryGet)
	s.handle("PUT /v1/query/{id}", s.queryUpdate)
	s.handle("DELETE /v1/query/{id}", s.queryDelete)
	s.handle("GET /v1/query/{id}/execute", s.queryExecute)
	s.handle("GET /v1/query/{id}/explain", s.queryExplain)
}

// queries reads every stored query whose session (if any) still exists,
// ordered by ID, with the revision of the read.
func (s *Server) queries(ctx context.Context) ([]*pqDef, int64, error) {
	kvs, rev, err := s.store.List(ctx, queryKey(""))
	if err != nil {
		return nil, 0, fmt.Errorf("list prepared queries: %w", err)
	}
	out := make([]*pqDef, 0, len(kvs))
	for _, kv := range kvs {
		var d pqDef
		if err := json.Unmarshal(kv.Value, &d); err != nil {
			s.log.Error("skip undecodable prepared query", "key", kv.Key, "err", err)
			continue
		}
		if d.Session != "" {
			if _, err := s.store.Session(ctx, d.Session); errors.Is(err, store.ErrSessionNotFound) {
				continue
			} else if err != nil {
				return nil, 0, fmt.Errorf("read session of %s: %w", &d, err)
			}
		}
		d.CreateIndex, d.ModifyIndex = uint64(kv.CreateRevision), uint64(kv.ModRevision)
		out = append(out, &d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, rev, nil
}

// redact hides the query's token from a reader without acl:write.
func (s *Server) redact(r *http.Request, d *pqDef) *pqDef {
	if d.Token == "" || s.authorize(r, acl.Rule{Resource: acl.ACL, Access: acl.Write}) == nil {
		return d
	}
	c := *d
	c.Token = hiddenToken
	return &c
}

func queryRule(name string, a acl.Access) acl.Rule {
	return acl.Rule{Resource: acl.Query, Segment: name, Access: a}
}

func (s *Server) queryList(w http.ResponseWriter, r *http.Request) error {
	return s.blocking(w, r, queriesRes, func() (any, error) {
		defs, _, err := s.queries(r.Context())
		if err != nil {
			return nil, err
		}
		f := s.aclFilter(w, r)
		out := make([]*pqDef, 0, len(defs))
		for _, d := range defs {
			if f.allows(queryRule(d.Name, acl.Read)) {
				out = append(out, s.redact(r, d))
			}
		}
		return out, f.err
	})
}

func (s *Server) queryGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return s.blocking(w, r, queriesRes, func() (any, error) {
		defs, _, err := s.queries(r.Context())
		if err != nil {
			return nil, err
		}
		for _, d := range defs {
			if d.ID == id {
				if err := s.authorize(r, queryRule(d.Name, acl.Read)); err != nil {
					return nil, err
				}
				return []*pqDef{s.redact(r, d)}, nil
			}
		}
		return nil, fmt.Errorf("%w: Query not found: %q", httpkit.ErrNotFound, id)
	})
}

func (s *Server) queryCreate(w http.ResponseWriter, r *http.Request) error {
	var d pqDef
	if err := decodeBody(r, &d); err != nil {
		return err
	}
	id, err := newUUID()
	if err != nil {
		return err
	}
	d.ID = id
	if err := s.writeQuery(r, &d, ""); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, map[string]string{"ID": id})
}

func (s *Server) queryUpdate(w http.ResponseWriter, r *http.Request) error {
	var d pqDef
	if err := decodeBody(r, &d); err != nil {
		return err
	}
	d.ID = r.PathValue("id")
	return s.writeQuery(r, &d, d.ID)
}

// writeQuery validates d and stores it, as a new query when replace is
// empty, else in place of the query of that ID. Names are unique, and a
// name may not be another query's ID; both hold against concurrent
// writes, as the write is conditioned on no query having changed since
// they were checked.
func (s *Server) writeQuery(r *http.Request, d *pqDef, replace string) error {
	d.CreateIndex, d.ModifyIndex = 0, 0
	if err := d.validate(); err != nil {
		return err
	}
	if err := s.authorize(r, queryRule(d.Name, acl.Write)); err != nil {
		return err
	}
	if d.Session != "" {
		if _, err := s.store.Session(r.Context(), d.Session); errors.Is(err, store.ErrSessionNotFound) {
			return httpkit.BadRequest("invalid session %q", d.Session)
		} else if err != nil {
			return err
		}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode %s: %w", d, err)
	}
	for range txnAttempts {
		defs, rev, err := s.queries(r.Context())
		if err != nil {
			return err
		}
		found := replace == ""
		for _, o := range defs {
			if o.ID == replace {
				found = true
				if err := s.authorize(r, queryRule(o.Name, acl.Write)); err != nil {
					return err
				}
				continue
			}
			if d.Name != "" && o.Name == d.Name {
				return httpkit.BadRequest("Name %q aliases an existing query name", d.Name)
			}
			if o.ID == d.Name {
				return httpkit.BadRequest("Name %q aliases an existing query ID", d.Name)
			}
		}
		if !found {
			return fmt.Errorf("%w: Cannot modify non-existent prepared query: %q", httpkit.ErrNotFound, replace)
		}
		cmps := []store.Cmp{{Key: queryKey(""), ModRevision: rev, Prefix: true}}
		ok, wrev, err := s.store.Txn(r.Context(), cmps, []store.Op{store.Put(queryKey(d.ID), b)})
		if err != nil {
			return fmt.Errorf("store %s: %w", d, err)
		}
		if ok {
			return s.waitWrite(r.Context(), wrev)
		}
	}
	return fmt.Errorf("%w: prepared queries kept changing; try again", httpkit.ErrConflict)
}

func (s *Server) queryDelete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	kv, err := s.store.Get(r.Context(), queryKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: Query not found: %q", httpkit.ErrNotFound, id)
	} else if err != nil {
		return err
	}
	var d pqDef
	if err := json.Unmarshal(kv.Value, &d); err != nil {
		return fmt.Errorf("decode prepared query %q: %w", id, err)
	}
	if err := s.authorize(r, queryRule(d.Name, acl.Write)); err != nil {
		return err
	}
	_, rev, err := s.store.Txn(r.Context(), nil, []store.Op{store.Del(queryKey(id))})
	if err != nil {
		return fmt.Errorf("delete %s: %w", &d, err)
	}
	return s.waitWrite(r.Context(), rev)
}

// resolveQuery finds the query idOrName names and renders it for that
// name, with query:read on it.
func (s *Server) resolveQuery(r *http.Request, idOrName string) (*pqDef, error) {
	defs, _, err := s.queries(r.Context())
	if err != nil {
		return nil, err
	}
	d := pqResolve(defs, idOrName)
	if d == nil {
		return nil, fmt.Errorf("%w: Query not found: %q", httpkit.ErrNotFound, idOrName)
	}
	return d.render(idOrName)
}

func (s *Server) queryExplain(w http.ResponseWriter, r *http.Request) error {
	d, err := s.resolveQuery(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.authorize(r, queryRule(d.Name, acl.Read)); err != nil {
		return err
	}
	s.setMeta(w, r.Context(), s.view.Index(queriesRes))
	return httpkit.WriteJSON(w, r, http.StatusOK, &pqExplainJSON{Query: s.redact(r, d)})
}

// queryExecute runs a query: the instances pqSelect keeps, shuffled as
// Consul does, then those on the near node first (?near, else the
// query's Near; "_agent" is this agent's node), then ?limit.
func (s *Server) queryExecute(w http.ResponseWriter, r *http.Request) error {
	if err := s.checkDC(r); err != nil {
		return err
	}
	d, err := s.resolveQuery(r, r.PathValue("id"))
	if err != nil {
		return err
	}
	sv := &d.Service
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: sv.Service, Access: acl.Read}); err != nil {
		return err
	}
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 0 {
			return httpkit.BadRequest("invalid limit %q: want a number >= 0", v)
		}
	}
	near := r.URL.Query().Get("near")
	if near == "" {
		near = sv.Near
	}
	if near == "_agent" {
		near = s.cfg.NodeName
	}
	entries := s.view.Entries(sv.Service)
	if sv.Connect {
		entries = s.connectEntries(sv.Service)
	}
	entries = append(entries[:0:0], entries...)
	rand.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
	f := s.aclFilter(w, r)
	out := &pqExecuteJSON{Service: sv.Service, DNS: d.DNS, Datacenter: s.cfg.Datacenter, Nodes: make([]*serviceEntryJSON, 0)}
	for _, e := range pqSelect(sv, entries, near, limit) {
		if f.allows(acl.Rule{Resource: acl.Node, Segment: e.Node.Name, Access: acl.Read}) {
			out.Nodes = append(out.Nodes, toEntryJSON(e))
		}
	}
	if f.err != nil {
		return f.err
	}
	s.setMeta(w, r.Context(), s.view.Index(view.ServiceRes(sv.Service)))
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}
