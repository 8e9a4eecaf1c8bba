package dns

import (
	"crypto"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Online signing (DNSSEC) of authoritative zones with a DNSSEC key: every
// answer to a query with the DO bit gets an RRSIG per record set, made
// when first asked and kept with the compiled zone until it has used
// half its validity. Denial of existence is by NSEC "black lies"
// (RFC 9824): a name that does not exist is answered NODATA with an NSEC
// whose next name is the name's immediate successor ("\000.name") and
// whose types are RRSIG and NSEC only, so the zone cannot be walked; a
// name without the asked type gets an NSEC listing its types.
const (
	sigValidity = 7 * 24 * time.Hour
	sigBackdate = time.Hour // inception before now, for clock skew
)

// zoneSigner is a compiled zone's signing state.
type zoneSigner struct {
	key    crypto.Signer
	dnskey *dns.DNSKEY
	tag    uint16
	// sigs caches signatures of the zone's record sets by owner and type
	// (sync.Map: queries run concurrently; a compiled zone is replaced,
	// not changed, when the zone changes, and its cache with it).
	sigs sync.Map // string → *dns.RRSIG
}

// sign returns an RRSIG over rrs (one record set) made at now, from the
// cache when cache is set and the cached one has more than half its
// validity left.
func (zs *zoneSigner) sign(apex string, rrs []dns.RR, now time.Time, cache bool) *dns.RRSIG {
	h := rrs[0].Header()
	key := strings.ToLower(h.Name) + "/" + dns.TypeToString[h.Rrtype] + "/" + strconv.FormatUint(uint64(h.Ttl), 10)
	if cache {
		if v, ok := zs.sigs.Load(key); ok {
			sig := v.(*dns.RRSIG)
			if int64(sig.Expiration)-now.Unix() > int64(sigValidity/time.Second/2) {
				return sig
			}
		}
	}
	sig := &dns.RRSIG{
		Hdr:       dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		Algorithm: dns.ECDSAP256SHA256, KeyTag: zs.tag, SignerName: apex,
		Inception: uint32(now.Add(-sigBackdate).Unix()), Expiration: uint32(now.Add(sigValidity).Unix()),
	}
	if err := sig.Sign(zs.key, rrs); err != nil {
		return nil
	}
	if cache {
		zs.sigs.Store(key, sig)
	}
	return sig
}

// wantsDNSSEC reports whether the query set the DO bit.
func wantsDNSSEC(req *dns.Msg) bool {
	opt := req.IsEdns0()
	return opt != nil && opt.Do()
}

// secure adds DNSSEC records to a zone answer m to question (qname,
// qtype): the denial NSEC of negative answers, then an RRSIG for every
// record set of a signed zone in the answer and authority sections
// (delegation NS sets and glue excepted, as they are not authoritative).
func (t *table) secure(m *dns.Msg, qname string, now time.Time) {
	z := t.findZone(qname)
	if z == nil || z.signer == nil {
		return
	}
	if len(m.Answer) == 0 && (m.Rcode == dns.RcodeNameError || m.Rcode == dns.RcodeSuccess) {
		if nsec := z.denial(m, qname); nsec != nil {
			m.Rcode = dns.RcodeSuccess // black lie: NXDOMAIN becomes NODATA
			m.Ns = append(m.Ns, nsec)
		}
	}
	m.Answer = t.signSection(m.Answer, now)
	m.Ns = t.signSection(m.Ns, now)
}

// denial is the NSEC proving the answer in m: for a delegation, the cut
// has NS and no DS; for a name that exists (or matches a wildcard), its
// types; for a name that does not, none but RRSIG and NSEC.
func (az *authZone) denial(m *dns.Msg, qname string) *dns.NSEC {
	nsec := &dns.NSEC{Hdr: dns.RR_Header{Name: qname, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: az.neg.Hdr.Ttl},
		NextDomain: "\\000." + qname}
	if !m.Authoritative {
		for _, rr := range m.Ns {
			if rr.Header().Rrtype == dns.TypeNS {
				nsec.Hdr.Name = strings.ToLower(rr.Header().Name)
				nsec.NextDomain = "\\000." + nsec.Hdr.Name
				nsec.TypeBitMap = []uint16{dns.TypeNS, dns.TypeRRSIG, dns.TypeNSEC}
				return nsec
			}
		}
		return nil
	}
	sets, ok := az.names[qname]
	if !ok {
		sets, ok = az.wildcard(qname)
	}
	if ok {
		for _, typ := range sortedTypes(sets) {
			if len(sets[typ]) > 0 {
				nsec.TypeBitMap = append(nsec.TypeBitMap, typ)
			}
		}
	}
	nsec.TypeBitMap = append(nsec.TypeBitMap, dns.TypeRRSIG, dns.TypeNSEC)
	sortTypes(nsec.TypeBitMap)
	return nsec
}

func sortTypes(ts []uint16) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j] < ts[j-1]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// signSection returns rrs with an RRSIG after each record set that a
// signed zone of t holds authoritatively.
func (t *table) signSection(rrs []dns.RR, now time.Time) []dns.RR {
	out := make([]dns.RR, 0, 2*len(rrs))
	for i := 0; i < len(rrs); {
		h := rrs[i].Header()
		j := i + 1
		for j < len(rrs) && rrs[j].Header().Rrtype == h.Rrtype && strings.EqualFold(rrs[j].Header().Name, h.Name) {
			j++
		}
		set := rrs[i:j]
		out = append(out, set...)
		i = j
		owner := strings.ToLower(h.Name)
		z := t.findZone(owner)
		if z == nil || z.signer == nil || h.Rrtype == dns.TypeRRSIG || h.Rrtype == dns.TypeOPT ||
			(h.Rrtype == dns.TypeNS && owner != z.z.Name) {
			continue
		}
		_, exists := z.names[owner]
		if sig := z.signer.sign(z.z.Name, set, now, exists); sig != nil {
			out = append(out, sig)
		}
	}
	return out
}
