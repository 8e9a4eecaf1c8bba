package proxy

import (
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// backendState is the balancer's memory of one instance. It is keyed by
// node and instance id and survives table swaps; every field is atomic.
type backendState struct {
	inflight     atomic.Int64 // requests being proxied to it now
	fails        atomic.Int32 // consecutive failures
	ejections    atomic.Int32 // ejections since the last success
	ejectedUntil atomic.Int64 // unix nanoseconds; 0 or past: not ejected
	// served counts the requests this instance answered last, by status
	// class (index status/100; 0 unused), and nanos their time, for the
	// per-instance metrics (metrics.go).
	served [6]atomic.Uint64
	nanos  atomic.Uint64
}

// ejectPolicy is the passive ejection rule.
type ejectPolicy struct {
	after     int32
	base, max time.Duration
}

// failure records a 5xx or a connection error. It reports whether the
// failure ejected the backend.
func (st *backendState) failure(now time.Time, p ejectPolicy) bool {
	if st.fails.Add(1) < p.after {
		return false
	}
	st.fails.Store(0)
	n := st.ejections.Add(1)
	d := p.base << min(n-1, 20)
	if d > p.max || d <= 0 {
		d = p.max
	}
	st.ejectedUntil.Store(now.Add(d).UnixNano())
	return true
}

// success records an answer below 500. It writes only when there is
// something to reset, so healthy backends see no shared-cache traffic.
func (st *backendState) success(now time.Time) {
	if st.fails.Load() != 0 {
		st.fails.Store(0)
	}
	if st.ejections.Load() != 0 && now.UnixNano() >= st.ejectedUntil.Load() {
		st.ejections.Store(0)
	}
}

func (st *backendState) ejected(nowNanos int64) bool { return nowNanos < st.ejectedUntil.Load() }

// backend is one server of a pool in one table.
type backend struct {
	key    string // node/id: the key of its state
	srv    *routing.Server
	scheme string // http or https on the wire (h2c is http)
	h2c    bool
	host   string // address:port
	weight int64
	cookie string // sticky cookie value
	st     *backendState
	// conns are the pooled HTTP/1.1 connections of the lean path (h1.go);
	// nil for backends only ReverseProxy speaks to (https, h2c).
	conns *hostConns
}

// pool is a service's set of backends in one table.
type pool struct {
	name     string
	svc      *routing.Service
	backends []*backend // the ones that receive traffic
	panic    bool       // backends include unhealthy servers (panic threshold)
	wrr      bool
	schedule []int32 // smooth weighted round-robin order over backends
	next     atomic.Uint64
	sticky   *routing.StickyCookie
	cookie   string // sticky cookie name
	byCookie map[string]*backend
}

func newPool(svc *routing.Service, servers []*routing.Server, panic bool, strategy string, state func(*routing.Server) *backendState) *pool {
	if svc.Strategy != "" {
		strategy = svc.Strategy // the service's loadbalancer.strategy tag
	}
	p := &pool{name: svc.Name, svc: svc, panic: panic, wrr: strategy == StrategyWRR, sticky: svc.Sticky}
	for _, s := range servers {
		b := &backend{
			key: s.Node + "/" + s.InstanceID, srv: s, scheme: s.Scheme,
			host: net.JoinHostPort(s.Address, strconv.Itoa(s.Port)), weight: int64(max(s.Weight, 1)), st: state(s),
		}
		if s.Scheme == "h2c" {
			b.scheme, b.h2c = "http", true
		}
		b.cookie = shortHash(b.key)
		p.backends = append(p.backends, b)
	}
	if p.sticky != nil {
		p.cookie = p.sticky.Name
		if p.cookie == "" {
			p.cookie = "_" + shortHash(svc.Name)[:6]
		}
		p.byCookie = make(map[string]*backend, len(p.backends))
		for _, b := range p.backends {
			p.byCookie[b.cookie] = b
		}
	}
	if p.wrr {
		p.schedule = smoothSchedule(p.backends)
	}
	return p
}

func shortHash(s string) string {
	h := fnv.New64a()
	h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 16)
}

// smoothSchedule precomputes nginx's smooth weighted round robin over the
// backends' weights (scaled down to at most 1000 slots), so picking is an
// atomic increment.
func smoothSchedule(bs []*backend) []int32 {
	var total int64
	for _, b := range bs {
		total += b.weight
	}
	scale := int64(1)
	if total > 1000 {
		scale = (total + 999) / 1000
	}
	w := make([]int64, len(bs))
	total = 0
	for i, b := range bs {
		w[i] = max(b.weight/scale, 1)
		total += w[i]
	}
	cur := make([]int64, len(bs))
	out := make([]int32, 0, total)
	for range total {
		best := 0
		for i := range bs {
			cur[i] += w[i]
			if cur[i] > cur[best] {
				best = i
			}
		}
		cur[best] -= total
		out = append(out, int32(best))
	}
	return out
}

// pick chooses a backend not in tried, honouring ejection unless every
// candidate is ejected. It returns nil when the pool has no candidate.
func (p *pool) pick(now int64, tried []*backend) *backend {
	if b := p.pickFrom(now, tried, true); b != nil {
		return b
	}
	return p.pickFrom(now, tried, false)
}

func (p *pool) pickFrom(now int64, tried []*backend, skipEjected bool) *backend {
	n := len(p.backends)
	ok := func(b *backend) bool {
		if skipEjected && b.st.ejected(now) {
			return false
		}
		for _, t := range tried {
			if t == b {
				return false
			}
		}
		return true
	}
	switch {
	case n == 0:
		return nil
	case n == 1:
		if ok(p.backends[0]) {
			return p.backends[0]
		}
		return nil
	case p.wrr:
		start := p.next.Add(1)
		for i := range uint64(len(p.schedule)) {
			if b := p.backends[p.schedule[(start+i)%uint64(len(p.schedule))]]; ok(b) {
				return b
			}
		}
		return nil
	}
	// Power of two choices: two distinct random candidates, the one with
	// fewer outstanding requests per unit of weight wins. Ineligible picks
	// move to the next eligible backend.
	i := rand.IntN(n)
	j := rand.IntN(n - 1)
	if j >= i {
		j++
	}
	a, b := p.eligibleFrom(i, ok), p.eligibleFrom(j, ok)
	switch {
	case a == nil:
		return nil
	case b == nil || a == b:
		return a
	}
	if b.st.inflight.Load()*a.weight < a.st.inflight.Load()*b.weight {
		return b
	}
	return a
}

func (p *pool) eligibleFrom(i int, ok func(*backend) bool) *backend {
	for k := range len(p.backends) {
		if b := p.backends[(i+k)%len(p.backends)]; ok(b) {
			return b
		}
	}
	return nil
}

// stickyBackend returns the backend named by the request's sticky cookie
// when it is still in the pool and not ejected.
func (p *pool) stickyBackend(r *http.Request, now int64) *backend {
	if p.byCookie == nil {
		return nil
	}
	c, err := r.Cookie(p.cookie)
	if err != nil {
		return nil
	}
	b := p.byCookie[c.Value]
	if b == nil || b.st.ejected(now) {
		return nil
	}
	return b
}

// setSticky adds the sticky cookie naming b to the response headers.
func (p *pool) setSticky(h http.Header, b *backend) {
	c := &http.Cookie{Name: p.cookie, Value: b.cookie, Path: "/", Secure: p.sticky.Secure, HttpOnly: p.sticky.HTTPOnly}
	switch p.sticky.SameSite {
	case "none":
		c.SameSite = http.SameSiteNoneMode
	case "lax":
		c.SameSite = http.SameSiteLaxMode
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	}
	h.Add("Set-Cookie", c.String())
}

// backendURL is the backend's base URL, for logs and the API.
func (b *backend) backendURL() string {
	u := url.URL{Scheme: b.srv.Scheme, Host: b.host}
	return u.String()
}
