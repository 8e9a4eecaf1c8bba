package api

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/view"
)

// Blocking-query limits, as Consul's.
const (
	defaultWait = 5 * time.Minute
	maxWait     = 10 * time.Minute
)

// queryOpts are the common read parameters.
type queryOpts struct {
	index      uint64
	wait       time.Duration
	consistent bool
}

func parseQueryOpts(r *http.Request) (queryOpts, error) {
	q := r.URL.Query()
	var o queryOpts
	if s := q.Get("index"); s != "" {
		i, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return o, badRequest("invalid index %q: must be a non-negative integer", s)
		}
		o.index = i
	}
	o.wait = defaultWait
	if s := q.Get("wait"); s != "" {
		d, err := parseWait(s)
		if err != nil {
			return o, err
		}
		o.wait = min(d, maxWait)
	}
	_, stale := q["stale"]
	_, consistent := q["consistent"]
	if stale && consistent {
		return o, badRequest("cannot specify both 'stale' and 'consistent'")
	}
	o.consistent = consistent
	return o, nil
}

// parseWait accepts Consul's wait values, durations with a unit ("10s").
func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, badRequest("invalid wait %q: use a duration such as \"10s\" or \"5m\"", s)
	}
	return d, nil
}

// blocking runs a read the way Consul's blocking queries do: with index
// set, it waits until res passes the index or wait (plus up to 1/16 jitter)
// ends; then produce builds the answer, sent with the index headers.
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
	if o.index > 0 {
		wait := o.wait
		if wait > 0 {
			wait += time.Duration(rand.Int64N(int64(wait)/16 + 1))
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		s.view.Wait(ctx, res, o.index)
		cancel()
		if r.Context().Err() != nil {
			return nil
		}
	}
	idx := s.view.Index(res)
	out, err := produce()
	s.setMeta(w, r.Context(), idx)
	if err != nil {
		return err
	}
	if out == nil {
		return nil // produce wrote the body itself
	}
	return writeJSON(w, r, out)
}

// setMeta sets X-Consul-Index, -KnownLeader and -LastContact.
func (s *Server) setMeta(w http.ResponseWriter, ctx context.Context, idx uint64) {
	h := w.Header()
	h.Set("X-Consul-Index", strconv.FormatUint(max(idx, 1), 10))
	h.Set("X-Consul-KnownLeader", strconv.FormatBool(s.knownLeader(ctx)))
	h.Set("X-Consul-LastContact", "0")
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
	st, err := s.store.ClusterStatus(ctx)
	known := err == nil && st.KnownLeader
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
		return badRequest("No path to datacenter %q (this cluster serves %q)", dc, s.cfg.Datacenter)
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
			return nil, badRequest("invalid node-meta %q: want key:value", v)
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
