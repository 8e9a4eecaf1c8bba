package zone

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// RRSet is the records of one owner name and type.
type RRSet struct {
	// Name is the owner, lower case and fully qualified.
	Name string `json:"Name"`
	// Type is the record type's mnemonic ("A", "MX", ...).
	Type string `json:"Type"`
	// TTL in seconds; 0 takes the zone's TTL when the set is written.
	TTL uint32 `json:"TTL"`
	// Records holds each record's data in presentation format, as in a zone
	// file after the type: "10 mail.lab.example." for MX.
	Records []string `json:"Records"`
}

// SetKey names a record set within a zone.
type SetKey struct {
	Name string
	Type string
}

// Key is the set's SetKey.
func (s *RRSet) Key() SetKey { return SetKey{s.Name, s.Type} }

// Types lists the record types a zone may hold (SOA is orbit's own).
var Types = []string{"A", "AAAA", "CNAME", "TXT", "MX", "SRV", "NS", "PTR", "CAA"}

// ParseType returns the canonical mnemonic of a supported type.
func ParseType(t string) (string, error) {
	u := strings.ToUpper(t)
	if slices.Contains(Types, u) {
		return u, nil
	}
	if u == "SOA" {
		return "", fmt.Errorf("%w: the SOA record is managed by orbit; set the zone's SOA fields instead", ErrInvalid)
	}
	return "", fmt.Errorf("%w: record type %q is not supported (supported: %s)", ErrInvalid, t, strings.Join(Types, ", "))
}

// Normalize validates the set against its zone and rewrites it in canonical
// form: absolute lower-case owner, upper-case type, each record parsed and
// printed back canonically, duplicates removed, sorted. TTL 0 takes defTTL.
func (s *RRSet) Normalize(zoneName string, defTTL uint32) error {
	owner, err := Owner(s.Name, zoneName)
	if err != nil {
		return fmt.Errorf("record set %q: %w", s.Name, err)
	}
	if !InZone(owner, zoneName) {
		return fmt.Errorf("%w: %s is outside zone %s", ErrInvalid, owner, zoneName)
	}
	s.Name = owner
	if s.Type, err = ParseType(s.Type); err != nil {
		return fmt.Errorf("record set %s: %w", owner, err)
	}
	if s.TTL == 0 {
		s.TTL = defTTL
	}
	if len(s.Records) == 0 {
		return fmt.Errorf("%w: record set %s %s has no records", ErrInvalid, owner, s.Type)
	}
	out := make([]string, 0, len(s.Records))
	for _, r := range s.Records {
		rr, err := parseRecord(owner, s.TTL, s.Type, r, zoneName)
		if err != nil {
			return err
		}
		out = append(out, rdata(rr))
	}
	slices.Sort(out)
	s.Records = slices.Compact(out)
	if s.Type == "CNAME" && len(s.Records) > 1 {
		return fmt.Errorf("%w: %s has %d CNAME records; a name can have only one", ErrInvalid, owner, len(s.Records))
	}
	return nil
}

// parseRecord parses one record's data. A TXT value not already quoted is
// taken as one string (so `hello world` is one string, not two).
func parseRecord(owner string, ttl uint32, typ, data, origin string) (dns.RR, error) {
	data = strings.TrimSpace(data)
	if data == "" {
		return nil, fmt.Errorf("%w: %s %s: empty record", ErrInvalid, owner, typ)
	}
	if strings.ContainsAny(data, "\n\r;") && typ != "TXT" {
		return nil, fmt.Errorf("%w: %s %s: record %q must be one line without comments", ErrInvalid, owner, typ, data)
	}
	if typ == "TXT" && !strings.HasPrefix(data, `"`) {
		data = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(data) + `"`
	}
	zp := dns.NewZoneParser(strings.NewReader(fmt.Sprintf("%s %d IN %s %s\n", owner, ttl, typ, data)), origin, "")
	rr, ok := zp.Next()
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s %s %q: %v", ErrInvalid, owner, typ, data, err)
	}
	if !ok || rr == nil || dns.TypeToString[rr.Header().Rrtype] != typ {
		return nil, fmt.Errorf("%w: %s %s: cannot parse record %q", ErrInvalid, owner, typ, data)
	}
	if _, more := zp.Next(); more {
		return nil, fmt.Errorf("%w: %s %s: %q holds more than one record", ErrInvalid, owner, typ, data)
	}
	return rr, nil
}

// rdata prints a record's data without its header.
func rdata(rr dns.RR) string {
	full := rr.String()
	hdr := rr.Header().String()
	return strings.TrimSpace(strings.TrimPrefix(full, hdr))
}

// RRs parses the set into records (the set must be normalized).
func (s *RRSet) RRs() ([]dns.RR, error) {
	out := make([]dns.RR, 0, len(s.Records))
	for _, r := range s.Records {
		rr, err := parseRecord(s.Name, s.TTL, s.Type, r, s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, rr)
	}
	return out, nil
}

// CheckZone validates a whole zone's record sets together: a CNAME must be
// alone at its name and not at the apex; no two sets share a key. The sets
// must be normalized.
func CheckZone(zoneName string, sets []RRSet) error {
	byName := map[string][]string{}
	seen := map[SetKey]bool{}
	for i := range sets {
		k := sets[i].Key()
		if seen[k] {
			return fmt.Errorf("%w: duplicate record set %s %s", ErrInvalid, k.Name, k.Type)
		}
		seen[k] = true
		byName[k.Name] = append(byName[k.Name], k.Type)
	}
	for name, types := range byName {
		if !slices.Contains(types, "CNAME") {
			continue
		}
		if name == zoneName {
			return fmt.Errorf("%w: CNAME at the zone apex %s is not allowed (the apex holds SOA and NS)", ErrInvalid, name)
		}
		if len(types) > 1 {
			slices.Sort(types)
			return fmt.Errorf("%w: CNAME beside other data at %s (also %s); a CNAME must be the only record set at its name", ErrInvalid, name, strings.Join(slices.DeleteFunc(types, func(t string) bool { return t == "CNAME" }), ", "))
		}
	}
	return nil
}

// SortSets orders sets by name then type, for stable listings.
func SortSets(sets []RRSet) {
	slices.SortFunc(sets, func(a, b RRSet) int {
		return cmp.Or(compareNames(a.Name, b.Name), strings.Compare(a.Type, b.Type))
	})
}

// compareNames orders names canonically (RFC 4034: by labels from the right).
func compareNames(a, b string) int {
	la, lb := dns.SplitDomainName(a), dns.SplitDomainName(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(la), len(lb))
}
