package dns

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	mrand "math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/doctor"
)

// loopOption is the EDNS0 option code (local/experimental range, RFC 6891)
// that tags queries this server forwards, so one coming back is recognised.
const loopOption = 65312

// loopHold is how long an upstream that handed a query back is skipped.
const loopHold = 30 * time.Second

// forwarder sends names the server is not authoritative for upstream.
type forwarder struct {
	upstreams []netip.AddrPort
	timeout   time.Duration
	cache     *cache
	clock     clockwork.Clock
	log       *slog.Logger
	m         *metrics
	nonce     []byte
	// baseCtx is set by Run before serving and ends with it.
	baseCtx context.Context

	// inflight maps the exact (case-randomised) question of every query
	// being forwarded to the upstream it went to.
	inflight sync.Map // string → netip.AddrPort
	// loopUntil holds, per upstream index, the unix nanoseconds until
	// which it is skipped for having handed a query back.
	loopUntil []atomic.Int64
}

func newForwarder(cfg Config, ups []netip.AddrPort, clock clockwork.Clock, log *slog.Logger, m *metrics) *forwarder {
	f := &forwarder{upstreams: ups, timeout: cfg.ForwardTimeout, clock: clock, log: log, m: m,
		nonce: make([]byte, 8), baseCtx: context.Background(), loopUntil: make([]atomic.Int64, len(ups))}
	_, _ = rand.Read(f.nonce)
	if cfg.CacheSize > 0 {
		f.cache = newCache(cfg.CacheSize, cfg.MaxCacheTTL, clock)
	}
	if len(ups) == 0 {
		log.Warn("dns: no upstream resolvers; names outside orbit's domains will get SERVFAIL")
	}
	return f
}

// looped reports whether req is a query this server forwarded that an
// upstream handed back: it carries our EDNS0 tag, or its exact
// case-randomised question is one we are forwarding right now.
func (f *forwarder) looped(req *dns.Msg, src netip.AddrPort) bool {
	q := req.Question[0]
	tagged := false
	if opt := req.IsEdns0(); opt != nil {
		for _, o := range opt.Option {
			if l, ok := o.(*dns.EDNS0_LOCAL); ok && l.Code == loopOption && bytes.Equal(l.Data, f.nonce) {
				tagged = true
			}
		}
	}
	up, inflight := f.inflight.Load(inflightKey(q))
	if !tagged && !inflight {
		return false
	}
	f.m.loops.Inc()
	upstream := "unknown"
	if inflight {
		ap := up.(netip.AddrPort)
		upstream = ap.String()
		f.holdUpstream(ap)
	}
	f.log.Warn("dns forwarding loop: a query this server forwarded came back to it; answering SERVFAIL",
		"name", q.Name, "type", typeName(q.Qtype), "upstream", upstream, "came_back_from", src.String(),
		"hint", "the upstream resolver forwards these names back to orbit; run `orbit dns doctor`")
	return true
}

func (f *forwarder) holdUpstream(ap netip.AddrPort) {
	for i, u := range f.upstreams {
		if u == ap {
			f.loopUntil[i].Store(f.clock.Now().Add(loopHold).UnixNano())
		}
	}
}

func inflightKey(q dns.Question) string {
	return q.Name + "/" + typeName(q.Qtype)
}

// forward answers req from the cache or the first upstream that gives a
// usable answer; it returns SERVFAIL when none does.
func (f *forwarder) forward(req *dns.Msg) *dns.Msg {
	q := req.Question[0]
	do := false
	if opt := req.IsEdns0(); opt != nil {
		do = opt.Do()
	}
	key := cacheKey{name: strings.ToLower(q.Name), qtype: q.Qtype, do: do}
	if f.cache != nil {
		if r := f.cache.get(key); r != nil {
			f.m.cache.WithLabelValues("hit").Inc()
			return r
		}
		f.m.cache.WithLabelValues("miss").Inc()
	}
	out := new(dns.Msg)
	out.Id = dns.Id()
	out.RecursionDesired = true
	out.CheckingDisabled = req.CheckingDisabled
	out.Question = []dns.Question{{Name: randomCase(q.Name), Qtype: q.Qtype, Qclass: q.Qclass}}
	out.SetEdns0(1232, do)
	opt := out.IsEdns0()
	opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: loopOption, Data: f.nonce})
	ik := inflightKey(out.Question[0])
	defer f.inflight.Delete(ik)

	var last *dns.Msg
	now := f.clock.Now().UnixNano()
	for i, up := range f.upstreams {
		if f.loopUntil[i].Load() > now {
			continue
		}
		f.inflight.Store(ik, up)
		r, err := f.exchange(out, up)
		if err != nil {
			f.log.Debug("dns: upstream exchange failed", "upstream", up.String(), "name", q.Name, "err", err)
			continue
		}
		last = r
		if r.Rcode == dns.RcodeSuccess || r.Rcode == dns.RcodeNameError {
			break
		}
	}
	if last == nil {
		last = new(dns.Msg)
		last.Rcode = dns.RcodeServerFailure
		return last
	}
	if f.cache != nil {
		f.cache.put(key, last)
	}
	return last
}

// exchange asks one upstream over UDP, retrying over TCP when truncated.
func (f *forwarder) exchange(out *dns.Msg, up netip.AddrPort) (*dns.Msg, error) {
	ctx, cancel := context.WithTimeout(f.baseCtx, f.timeout)
	defer cancel()
	c := &dns.Client{Net: "udp", UDPSize: 1232, Timeout: f.timeout}
	r, _, err := c.ExchangeContext(ctx, out, up.String())
	if err == nil && r.Truncated {
		c.Net = "tcp"
		r, _, err = c.ExchangeContext(ctx, out, up.String())
	}
	return r, err
}

// randomCase flips the case of the name's letters at random (DNS 0x20), so
// a forwarded question is recognisable if it comes back. It never returns
// the all-lower-case form when the name has two letters or more.
func randomCase(name string) string {
	b := []byte(name)
	letters := 0
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
			b[i] = c
		}
		if c >= 'a' && c <= 'z' {
			letters++
			if mrand.IntN(2) == 0 {
				b[i] = c - ('a' - 'A')
			}
		}
	}
	if letters >= 2 && strings.ToLower(string(b)) == string(b) {
		for i, c := range b {
			if c >= 'a' && c <= 'z' {
				b[i] = c - ('a' - 'A')
				break
			}
		}
	}
	return string(b)
}

// readResolvConf returns the nameservers of a resolv.conf (port 53).
func readResolvConf(path string, log *slog.Logger) []netip.AddrPort {
	data, err := os.ReadFile(path)
	if err != nil {
		log.Warn("dns: cannot read resolv.conf for upstreams", "path", path, "err", err)
		return nil
	}
	var out []netip.AddrPort
	for _, ns := range doctor.ResolvConfNameservers(data) {
		out = append(out, netip.AddrPortFrom(ns, 53))
	}
	return out
}
