package dns

import (
	"slices"
	"strconv"
	"testing"

	"github.com/miekg/dns"
)

func rr(s string) dns.RR {
	r, err := dns.NewRR(s)
	if err != nil {
		panic(err)
	}
	return r
}

func soaAt(serial uint32) *dns.SOA {
	s := rr("z. 3600 IN SOA ns1.z. hostmaster.z. 0 3600 600 1209600 60").(*dns.SOA)
	s.Serial = serial
	return s
}

func texts(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, r := range rrs {
		out[i] = r.String()
	}
	return out
}

func TestDiffRRs(t *testing.T) {
	a10, a11, a12 := rr("www.z. 60 IN A 192.0.2.10"), rr("www.z. 60 IN A 192.0.2.11"), rr("www.z. 60 IN A 192.0.2.12")
	for _, tc := range []struct {
		name          string
		old, new      []dns.RR
		wantDel, wAdd []dns.RR
	}{
		{"same", []dns.RR{a10}, []dns.RR{a10}, nil, nil},
		{"added", []dns.RR{a10}, []dns.RR{a10, a11}, nil, []dns.RR{a11}},
		{"removed", []dns.RR{a10, a11}, []dns.RR{a11}, []dns.RR{a10}, nil},
		{"replaced", []dns.RR{a10, a11}, []dns.RR{a11, a12}, []dns.RR{a10}, []dns.RR{a12}},
		{"ttl change is delete and add", []dns.RR{a10}, []dns.RR{rr("www.z. 120 IN A 192.0.2.10")}, []dns.RR{a10}, []dns.RR{rr("www.z. 120 IN A 192.0.2.10")}},
		{"owner case ignored", []dns.RR{a10}, []dns.RR{rr("WWW.z. 60 IN A 192.0.2.10")}, nil, nil},
		{"from empty", nil, []dns.RR{a10}, nil, []dns.RR{a10}},
	} {
		del, add := diffRRs(tc.old, tc.new)
		if !slices.Equal(texts(del), texts(tc.wantDel)) || !slices.Equal(texts(add), texts(tc.wAdd)) {
			t.Errorf("%s: del %v add %v, want del %v add %v", tc.name, del, add, tc.wantDel, tc.wAdd)
		}
	}
}

func TestJournalAndIXFR(t *testing.T) {
	a := rr("a.z. 60 IN A 192.0.2.1")
	b := rr("b.z. 60 IN A 192.0.2.2")
	c := rr("c.z. 60 IN A 192.0.2.3")
	// Serial 1: {a}; 2: {a, b}; 3: {b, c}; 4: {b, c} (settings only).
	states := []struct {
		soa *dns.SOA
		rrs []dns.RR
	}{{soaAt(1), []dns.RR{a}}, {soaAt(2), []dns.RR{a, b}}, {soaAt(3), []dns.RR{b, c}}, {soaAt(4), []dns.RR{b, c}}}
	var j []delta
	for i := 1; i < len(states); i++ {
		j = nextJournal(j, states[i-1].soa, states[i-1].rrs, states[i].soa, states[i].rrs, 2)
	}
	if len(j) != 2 || j[0].from.Serial != 2 || j[1].to.Serial != 4 {
		t.Fatalf("journal of size 2 keeps %d deltas (%v)", len(j), j)
	}
	cur := states[3]
	for _, tc := range []struct {
		name        string
		have        uint32
		want        []string
		incremental bool
	}{
		{"current", 4, []string{"SOA 4"}, true},
		{"ahead", 5, []string{"SOA 4"}, true},
		{"one behind", 3, []string{"SOA 4", "SOA 3", "SOA 4", "SOA 4"}, true},
		{"two behind", 2, []string{"SOA 4", "SOA 2", "a", "SOA 3", "c", "SOA 3", "SOA 4", "SOA 4"}, true},
		{"older than the journal", 1, []string{"SOA 4", "b", "c", "SOA 4"}, false},
		{"unknown older serial (wrapped)", 0xFFFFFFF0, []string{"SOA 4", "b", "c", "SOA 4"}, false},
	} {
		rrs, inc := ixfrRecords(cur.soa, cur.rrs, j, tc.have)
		if got := short(rrs); !slices.Equal(got, tc.want) || inc != tc.incremental {
			t.Errorf("%s: %v (incremental %v), want %v (%v)", tc.name, got, inc, tc.want, tc.incremental)
		}
	}
	// A serial that does not follow the journal's last starts it anew.
	j2 := nextJournal(j, soaAt(10), []dns.RR{a}, soaAt(11), []dns.RR{b}, 2)
	if len(j2) != 1 || j2[0].from.Serial != 10 {
		t.Errorf("journal after a gap: %v", j2)
	}
	// An unchanged serial keeps the journal as it is.
	if j3 := nextJournal(j, soaAt(4), cur.rrs, soaAt(4), cur.rrs, 2); len(j3) != len(j) {
		t.Errorf("journal after no serial change: %v", j3)
	}
}

// short names records by their first label, SOAs by their serial.
func short(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, r := range rrs {
		if s, ok := r.(*dns.SOA); ok {
			out[i] = "SOA " + strconv.FormatUint(uint64(s.Serial), 10)
			continue
		}
		out[i] = dns.SplitDomainName(r.Header().Name)[0]
	}
	return out
}
