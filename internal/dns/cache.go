package dns

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/miekg/dns"
)

// cacheKey identifies a forwarded question.
type cacheKey struct {
	name  string // lower case
	qtype uint16
	do    bool
}

type cacheEntry struct {
	msg     *dns.Msg
	stored  time.Time
	expires time.Time
}

const cacheShards = 16

// cache holds forwarded answers for their TTL (negative answers for the
// SOA minimum, RFC 2308). It is sharded so concurrent queries rarely wait.
type cache struct {
	seed     maphash.Seed
	perShard int
	maxTTL   time.Duration
	clock    clockwork.Clock
	shards   [cacheShards]struct {
		mu sync.Mutex // guards m
		m  map[cacheKey]*cacheEntry
	}
}

func newCache(size int, maxTTL time.Duration, clock clockwork.Clock) *cache {
	c := &cache{seed: maphash.MakeSeed(), perShard: max(1, size/cacheShards), maxTTL: maxTTL, clock: clock}
	for i := range c.shards {
		c.shards[i].m = map[cacheKey]*cacheEntry{}
	}
	return c
}

func (c *cache) shard(k cacheKey) int {
	return int(maphash.String(c.seed, k.name) % cacheShards)
}

// get returns a copy of a live entry with its TTLs counted down.
func (c *cache) get(k cacheKey) *dns.Msg {
	sh := &c.shards[c.shard(k)]
	now := c.clock.Now()
	sh.mu.Lock()
	e := sh.m[k]
	if e != nil && !now.Before(e.expires) {
		delete(sh.m, k)
		e = nil
	}
	sh.mu.Unlock()
	if e == nil {
		return nil
	}
	r := e.msg.Copy()
	age := uint32(now.Sub(e.stored) / time.Second)
	for _, sec := range [][]dns.RR{r.Answer, r.Ns, r.Extra} {
		for _, rr := range sec {
			h := rr.Header()
			if h.Rrtype == dns.TypeOPT {
				continue
			}
			if h.Ttl > age {
				h.Ttl -= age
			} else {
				h.Ttl = 0
			}
		}
	}
	return r
}

// put stores an answer for its lowest TTL, a negative one for the SOA's
// negative TTL; answers without a usable TTL are not stored.
func (c *cache) put(k cacheKey, m *dns.Msg) {
	ttl, ok := cacheTTL(m)
	if !ok {
		return
	}
	d := min(time.Duration(ttl)*time.Second, c.maxTTL)
	if d <= 0 {
		return
	}
	now := c.clock.Now()
	e := &cacheEntry{msg: m.Copy(), stored: now, expires: now.Add(d)}
	sh := &c.shards[c.shard(k)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if len(sh.m) >= c.perShard {
		for ek, old := range sh.m {
			if !now.Before(old.expires) || len(sh.m) >= c.perShard {
				delete(sh.m, ek)
			}
			if len(sh.m) < c.perShard {
				break
			}
		}
	}
	sh.m[k] = e
}

// cacheTTL is how long m may be cached.
func cacheTTL(m *dns.Msg) (uint32, bool) {
	if m.Truncated || (m.Rcode != dns.RcodeSuccess && m.Rcode != dns.RcodeNameError) {
		return 0, false
	}
	if m.Rcode == dns.RcodeNameError || len(m.Answer) == 0 {
		for _, rr := range m.Ns {
			if soa, ok := rr.(*dns.SOA); ok {
				return min(soa.Hdr.Ttl, soa.Minttl), true
			}
		}
		return 0, false
	}
	ttl := ^uint32(0)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			ttl = min(ttl, rr.Header().Ttl)
		}
	}
	return ttl, true
}
