package dns

import (
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// journalSize is how many serial changes of each zone the server keeps to
// answer IXFR incrementally; a client further behind gets the whole zone.
const journalSize = 32

// delta is one change of a zone between two serials, as IXFR sends it
// (RFC 1995): the old SOA, the records removed, the new SOA, the records
// added. Deltas are shared between tables and never modified.
type delta struct {
	from, to *dns.SOA
	del, add []dns.RR
}

// rrKey identifies a record for diffing: its text with the owner in
// lower case and the TTL included (a TTL change is a delete and an add).
func rrKey(rr dns.RR) string {
	h := rr.Header()
	s := rr.String()
	return strings.ToLower(h.Name) + s[len(h.Name):]
}

// diffRRs returns the records of old not in new (del) and of new not in
// old (add), each in the order of its input.
func diffRRs(old, new []dns.RR) (del, add []dns.RR) {
	inOld := make(map[string]bool, len(old))
	for _, rr := range old {
		inOld[rrKey(rr)] = true
	}
	inNew := make(map[string]bool, len(new))
	for _, rr := range new {
		k := rrKey(rr)
		inNew[k] = true
		if !inOld[k] {
			add = append(add, rr)
		}
	}
	for _, rr := range old {
		if !inNew[rrKey(rr)] {
			del = append(del, rr)
		}
	}
	return del, add
}

// nextJournal returns journal with the change from prev to cur appended,
// keeping at most size deltas (the newest). A zone whose serial did not
// move keeps its journal; one whose new serial does not follow the last
// delta's starts a new journal.
func nextJournal(journal []delta, prevSOA *dns.SOA, prev []dns.RR, curSOA *dns.SOA, cur []dns.RR, size int) []delta {
	if prevSOA == nil || prevSOA.Serial == curSOA.Serial {
		return journal
	}
	if n := len(journal); n > 0 && journal[n-1].to.Serial != prevSOA.Serial {
		journal = nil
	}
	del, add := diffRRs(prev, cur)
	out := make([]delta, 0, min(len(journal)+1, size))
	if len(journal)+1 > size {
		journal = journal[len(journal)+1-size:]
	}
	out = append(append(out, journal...), delta{from: prevSOA, to: curSOA, del: del, add: add})
	return out
}

// ixfrRecords is the answer to an IXFR from a client at serial have
// (RFC 1995 section 4): the SOA alone when the client is current (or
// ahead), the deltas since have when the journal holds them all, and the
// whole zone (AXFR form) otherwise. incremental reports which.
func ixfrRecords(soa *dns.SOA, records []dns.RR, journal []delta, have uint32) (rrs []dns.RR, incremental bool) {
	if have == soa.Serial || serialAfter(have, soa.Serial) {
		return []dns.RR{soa}, true
	}
	i := slices.IndexFunc(journal, func(d delta) bool { return d.from.Serial == have })
	if i < 0 || journal[len(journal)-1].to.Serial != soa.Serial {
		return axfrRecords(soa, records), false
	}
	rrs = []dns.RR{soa}
	for _, d := range journal[i:] {
		rrs = append(rrs, d.from)
		rrs = append(rrs, d.del...)
		rrs = append(rrs, d.to)
		rrs = append(rrs, d.add...)
	}
	return append(rrs, soa), true
}

// axfrRecords is a whole transfer: SOA, every record, SOA.
func axfrRecords(soa *dns.SOA, records []dns.RR) []dns.RR {
	rrs := make([]dns.RR, 0, len(records)+2)
	return append(append(append(rrs, soa), records...), soa)
}

// serialAfter reports whether serial a is after b in RFC 1982 arithmetic.
func serialAfter(a, b uint32) bool { return a != b && int32(a-b) > 0 }
