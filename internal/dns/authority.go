package dns

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/zone"
)

// authZone is one compiled authoritative zone.
type authZone struct {
	z   zone.Zone
	soa *dns.SOA // answer form
	neg *dns.SOA // authority form, TTL = negative TTL
	// names maps every owner name (and empty non-terminal, with an empty
	// map) to its record sets by type.
	names map[string]map[uint16][]dns.RR
	// cuts is whether any NS set sits below the apex (a delegation).
	cuts bool
	// records are all records but the SOA, in canonical order, for AXFR.
	records []dns.RR
	// signer signs answers; nil for a zone without a DNSSEC key.
	signer *zoneSigner
	// journal holds the last changes, oldest first, for IXFR.
	journal []delta
	allow   []netip.Prefix
	notify  []netip.AddrPort
	// modRev is the revision of the zone's settings key when compiled; a
	// zone whose key has not moved is reused by the next build.
	modRev int64
}

func canonicalName(s string) (string, error) { return zone.Canonical(s) }

// compileZone builds a zone's lookup structure from the view's zone.
func compileZone(vz *view.Zone) (*authZone, error) {
	apex, z, sets := vz.Name, vz.Zone, vz.Sets
	az := &authZone{z: *z, soa: z.SOA(), names: map[string]map[uint16][]dns.RR{}, modRev: vz.Rev}
	az.neg = z.SOA()
	az.neg.Hdr.Ttl = z.NegativeTTL()
	az.names[apex] = map[uint16][]dns.RR{dns.TypeSOA: {az.soa}}
	if z.DNSSEC != nil {
		key, err := z.DNSSEC.Signer(apex)
		if err != nil {
			return nil, fmt.Errorf("zone %s: %w", apex, err)
		}
		k := z.DNSSEC.DNSKEY(apex, z.TTL)
		az.signer = &zoneSigner{key: key, dnskey: k, tag: k.KeyTag()}
		az.names[apex][dns.TypeDNSKEY] = []dns.RR{k}
	}
	for _, s := range sets {
		rrs, err := s.RRs()
		if err != nil {
			return nil, fmt.Errorf("zone %s: %w", apex, err)
		}
		if len(rrs) == 0 || !zone.InZone(s.Name, apex) {
			continue
		}
		typ := rrs[0].Header().Rrtype
		az.add(s.Name, apex)
		az.names[s.Name][typ] = rrs
		az.records = append(az.records, rrs...)
		if typ == dns.TypeNS && s.Name != apex {
			az.cuts = true
		}
	}
	for _, a := range append(slices.Clone(z.AllowTransfer), z.AlsoNotify...) {
		if p, err := zone.ParsePrefix(a); err == nil {
			az.allow = append(az.allow, p)
		} else if ap, err := zone.NotifyTarget(a); err == nil {
			az.allow = append(az.allow, netip.PrefixFrom(ap.Addr(), ap.Addr().BitLen()))
		}
	}
	for _, a := range z.AlsoNotify {
		if ap, err := zone.NotifyTarget(a); err == nil {
			az.notify = append(az.notify, ap)
		}
	}
	return az, nil
}

// add makes name and its empty non-terminal ancestors known.
func (az *authZone) add(name, apex string) {
	for n := name; len(n) > len(apex); {
		if az.names[n] == nil {
			az.names[n] = map[uint16][]dns.RR{}
		}
		off, end := dns.NextLabel(n, 0)
		if end {
			break
		}
		n = n[off:]
	}
}

// lookup answers name (lower case) and qtype from the zone into m.
func (az *authZone) lookup(t *table, m *dns.Msg, name string, qtype uint16, depth int) {
	m.Authoritative = true
	if az.cuts {
		if ns := az.delegation(name); ns != nil {
			m.Authoritative = false
			m.Ns = append(m.Ns, ns...)
			m.Extra = append(m.Extra, az.glue(ns)...)
			return
		}
	}
	sets, ok := az.names[name]
	owner := name
	if !ok {
		if sets, ok = az.wildcard(name); !ok {
			m.Rcode = dns.RcodeNameError
			m.Ns = append(m.Ns, az.neg)
			return
		}
	}
	if rrs := sets[qtype]; len(rrs) > 0 {
		m.Answer = appendOwned(m.Answer, rrs, owner, name)
		az.additional(t, m, rrs)
		return
	}
	if qtype == dns.TypeANY && len(sets) > 0 {
		for _, typ := range sortedTypes(sets) {
			m.Answer = appendOwned(m.Answer, sets[typ], owner, name)
		}
		return
	}
	if c := sets[dns.TypeCNAME]; len(c) > 0 {
		m.Answer = appendOwned(m.Answer, c, owner, name)
		target := strings.ToLower(c[0].(*dns.CNAME).Target)
		if depth < 8 {
			if tz := t.findZone(target); tz != nil {
				tz.lookup(t, m, target, qtype, depth+1)
				if m.Rcode == dns.RcodeNameError {
					// The CNAME itself exists: the rcode is NXDOMAIN only
					// if the chain ends in one (RFC 6604 keeps it so).
					return
				}
			}
		}
		return
	}
	m.Ns = append(m.Ns, az.neg)
}

// appendOwned appends rrs, rewritten to owner name when they were matched
// by a wildcard (their stored owner differs).
func appendOwned(dst, rrs []dns.RR, owner, name string) []dns.RR {
	if len(rrs) == 0 || rrs[0].Header().Name == name {
		return append(dst, rrs...)
	}
	for _, rr := range rrs {
		c := dns.Copy(rr)
		c.Header().Name = owner
		dst = append(dst, c)
	}
	return dst
}

// wildcard finds "*.<closest encloser>" for a name that does not exist.
func (az *authZone) wildcard(name string) (map[uint16][]dns.RR, bool) {
	for off, end := dns.NextLabel(name, 0); !end; off, end = dns.NextLabel(name, off) {
		encloser := name[off:]
		if _, ok := az.names[encloser]; ok || encloser == az.z.Name {
			sets, ok := az.names["*."+encloser]
			return sets, ok && len(sets) > 0
		}
	}
	return nil, false
}

// delegation returns the NS set of the closest cut at or above name.
func (az *authZone) delegation(name string) []dns.RR {
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		n := name[off:]
		if n == az.z.Name || len(n) < len(az.z.Name) {
			return nil
		}
		if ns := az.names[n][dns.TypeNS]; len(ns) > 0 {
			return ns
		}
	}
	return nil
}

// glue adds in-zone addresses of NS targets.
func (az *authZone) glue(ns []dns.RR) []dns.RR {
	var out []dns.RR
	for _, rr := range ns {
		target := strings.ToLower(rr.(*dns.NS).Ns)
		out = append(out, az.names[target][dns.TypeA]...)
		out = append(out, az.names[target][dns.TypeAAAA]...)
	}
	return out
}

// additional adds in-zone addresses of MX, SRV and NS targets.
func (az *authZone) additional(t *table, m *dns.Msg, rrs []dns.RR) {
	for _, rr := range rrs {
		var target string
		switch r := rr.(type) {
		case *dns.MX:
			target = r.Mx
		case *dns.SRV:
			target = r.Target
		case *dns.NS:
			target = r.Ns
		default:
			return
		}
		target = strings.ToLower(target)
		if tz := t.findZone(target); tz != nil {
			m.Extra = append(m.Extra, tz.names[target][dns.TypeA]...)
			m.Extra = append(m.Extra, tz.names[target][dns.TypeAAAA]...)
		}
	}
}

func sortedTypes(sets map[uint16][]dns.RR) []uint16 {
	out := make([]uint16, 0, len(sets))
	for t := range sets {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// allowed reports whether addr may transfer the zone.
func (az *authZone) allowed(addr netip.Addr, global []netip.Prefix) bool {
	addr = addr.Unmap()
	for _, p := range az.allow {
		if p.Contains(addr) {
			return true
		}
	}
	for _, p := range global {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
