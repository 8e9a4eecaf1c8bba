package zone

import (
	"fmt"
	"io"
	"strings"

	"github.com/miekg/dns"
)

// ParseFile reads a BIND/RFC 1035 zone file for origin into the zone's SOA
// settings and its normalized record sets. $INCLUDE is refused. Records of
// unsupported types, out-of-zone names and CNAME conflicts are errors that
// name the offending line; nothing is returned half-parsed.
func ParseFile(r io.Reader, origin, file string) (*Zone, []RRSet, error) {
	apex, err := Canonical(origin)
	if err != nil {
		return nil, nil, fmt.Errorf("zone name: %w", err)
	}
	zp := dns.NewZoneParser(r, apex, file)
	zp.SetDefaultTTL(DefaultTTL)
	z := &Zone{Name: apex}
	sets := map[SetKey]*RRSet{}
	var order []SetKey
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		h := rr.Header()
		if h.Class != dns.ClassINET {
			return nil, nil, fmt.Errorf("%w: %s: class %s is not supported (IN only)", ErrInvalid, h.Name, dns.ClassToString[h.Class])
		}
		if soa, ok := rr.(*dns.SOA); ok {
			if !strings.EqualFold(h.Name, apex) {
				return nil, nil, fmt.Errorf("%w: SOA record at %s, not at the zone apex %s", ErrInvalid, h.Name, apex)
			}
			z.TTL, z.PrimaryNS, z.Hostmaster, z.Serial = h.Ttl, soa.Ns, soa.Mbox, soa.Serial
			z.Refresh, z.Retry, z.Expire, z.Minimum = soa.Refresh, soa.Retry, soa.Expire, soa.Minttl
			continue
		}
		typ, err := ParseType(dns.TypeToString[h.Rrtype])
		if err != nil {
			return nil, nil, fmt.Errorf("%s %s: %w", h.Name, dns.TypeToString[h.Rrtype], err)
		}
		name := strings.ToLower(h.Name)
		if !InZone(name, apex) {
			return nil, nil, fmt.Errorf("%w: %s is outside zone %s", ErrInvalid, h.Name, apex)
		}
		k := SetKey{name, typ}
		s := sets[k]
		if s == nil {
			s = &RRSet{Name: name, Type: typ, TTL: h.Ttl}
			sets[k] = s
			order = append(order, k)
		}
		s.TTL = min(s.TTL, h.Ttl)
		s.Records = append(s.Records, rdata(rr))
	}
	if err := zp.Err(); err != nil {
		return nil, nil, fmt.Errorf("%w: zone file: %v", ErrInvalid, err)
	}
	z.SetDefaults()
	if err := z.Validate(); err != nil {
		return nil, nil, err
	}
	out := make([]RRSet, 0, len(order))
	for _, k := range order {
		s := *sets[k]
		if err := s.Normalize(apex, z.TTL); err != nil {
			return nil, nil, err
		}
		out = append(out, s)
	}
	if err := CheckZone(apex, out); err != nil {
		return nil, nil, err
	}
	SortSets(out)
	return z, out, nil
}

// WriteFile writes the zone and its sets as a zone file.
func WriteFile(w io.Writer, z *Zone, sets []RRSet) error {
	if _, err := fmt.Fprintf(w, "$ORIGIN %s\n%s\n", z.Name, z.SOA().String()); err != nil {
		return err
	}
	for _, s := range sets {
		for _, r := range s.Records {
			if _, err := fmt.Fprintf(w, "%s\t%d\tIN\t%s\t%s\n", s.Name, s.TTL, s.Type, r); err != nil {
				return err
			}
		}
	}
	return nil
}
