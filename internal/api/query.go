package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

// queryOpts are the common read parameters.
type queryOpts struct {
	httpkit.Query
	consistent bool
}

func parseQueryOpts(r *http.Request) (queryOpts, error) {
	q, err := httpkit.ParseQuery(r, httpkit.Consul, httpkit.MaxWait)
	if err != nil {
		return queryOpts{}, err
	}
	o := queryOpts{Query: q}
	_, stale := r.URL.Query()["stale"]
	_, consistent := r.URL.Query()["consistent"]
	if stale && consistent {
		return o, httpkit.BadRequest("cannot specify both 'stale' and 'consistent'")
	}
	o.consistent = consistent
	return o, nil
}

// blocking runs a read the way Consul's blocking queries do (httpkit.Block
// over res); then produce builds the answer, sent with the index headers.
func (s *Server) blocking(w http.ResponseWriter, r *http.Request, res view.Resource, produce func() (any, error)) error {
	o, err := parseQueryOpts(r)
	if err != nil {
		return err
	}
	if err := s.checkDC(r); err != nil {
		return err
	}
	if o.consistent {
		if err := s.catchUp(r.Context()); err != nil {
			return err
		}
	}
	wait := func(ctx context.Context, index uint64) { s.view.Wait(ctx, res, index) }
	if s.kit.Block(r.Context(), o.Query, wait) != nil {
		return nil // the client left: no one to answer
	}
	idx := s.view.Index(res)
	// The headers go first: produce may write the body itself (?raw).
	s.setMeta(w, r.Context(), idx)
	out, err := produce()
	if err != nil {
		return err
	}
	if out == nil {
		return nil // produce wrote the body itself
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// setMeta sets X-Consul-Index, -KnownLeader and -LastContact.
func (s *Server) setMeta(w http.ResponseWriter, ctx context.Context, idx uint64) {
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: idx, KnownLeader: s.knownLeader(ctx)})
}

// knownLeader reports whether the store has a leader, asking it at most
// once a second: every read answers with X-Consul-KnownLeader, and a
// member-list round trip per request would dominate the read path.
func (s *Server) knownLeader(ctx context.Context) bool {
	if c := s.leader.Load(); c != nil && time.Since(c.at) < time.Second {
		return c.known
	}
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	if c := s.leader.Load(); c != nil && time.Since(c.at) < time.Second {
		return c.known
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	known := s.store.KnownLeader(ctx)
	s.leader.Store(&leaderCache{known: known, at: time.Now()})
	return known
}

type leaderCache struct {
	known bool
	at    time.Time
}

// catchUp makes the view reach the store's current revision (a linearizable
// read through the view), for ?consistent.
func (s *Server) catchUp(ctx context.Context) error {
	rev, err := s.store.Revision(ctx)
	if err != nil {
		return err
	}
	return s.waitWrite(ctx, rev)
}

// checkDC refuses requests for other datacenters: orbit has one.
func (s *Server) checkDC(r *http.Request) error {
	if dc := r.URL.Query().Get("dc"); dc != "" && dc != s.cfg.Datacenter {
		return httpkit.BadRequest("No path to datacenter %q (this cluster serves %q)", dc, s.cfg.Datacenter)
	}
	return nil
}

// nodeMeta parses ?node-meta=key:value (repeatable).
func nodeMeta(r *http.Request) (map[string]string, error) {
	vals := r.URL.Query()["node-meta"]
	if len(vals) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, ":")
		if !ok || k == "" {
			return nil, httpkit.BadRequest("invalid node-meta %q: want key:value", v)
		}
		out[k] = val
	}
	return out, nil
}

func metaMatches(meta, want map[string]string) bool {
	for k, v := range want {
		if meta[k] != v {
			return false
		}
	}
	return true
}
