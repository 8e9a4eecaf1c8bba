package dns

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/zone"
)

// verifySigned checks that every record set in rrs is covered by a valid
// RRSIG made with key, and returns the types of the sets.
func verifySigned(t *testing.T, what string, rrs []dns.RR, key *dns.DNSKEY) []string {
	t.Helper()
	sets := map[string][]dns.RR{}
	var sigs []*dns.RRSIG
	var order []string
	for _, rr := range rrs {
		if sig, ok := rr.(*dns.RRSIG); ok {
			sigs = append(sigs, sig)
			continue
		}
		k := strings.ToLower(rr.Header().Name) + " " + dns.TypeToString[rr.Header().Rrtype]
		if sets[k] == nil {
			order = append(order, dns.TypeToString[rr.Header().Rrtype])
		}
		sets[k] = append(sets[k], rr)
	}
	for k, set := range sets {
		i := slices.IndexFunc(sigs, func(s *dns.RRSIG) bool {
			return strings.EqualFold(s.Hdr.Name, set[0].Header().Name) && s.TypeCovered == set[0].Header().Rrtype
		})
		if i < 0 {
			t.Errorf("%s: %s has no RRSIG", what, k)
			continue
		}
		if err := sigs[i].Verify(key, set); err != nil {
			t.Errorf("%s: RRSIG of %s does not verify: %v", what, k, err)
		}
		if !sigs[i].ValidityPeriod(time.Now()) {
			t.Errorf("%s: RRSIG of %s is not valid now (%d-%d)", what, k, sigs[i].Inception, sigs[i].Expiration)
		}
	}
	return order
}

func TestDNSSECOnlineSigning(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	api.ok("PUT", "/v1/dns/zones/lab.example", "")
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `[
		{"Name": "@", "Type": "NS", "Records": ["ns1"]},
		{"Name": "ns1", "Type": "A", "Records": ["192.0.2.1"]},
		{"Name": "www", "Type": "A", "Records": ["192.0.2.10", "192.0.2.11"]},
		{"Name": "*.wild", "Type": "TXT", "Records": ["wildcard"]},
		{"Name": "sub", "Type": "NS", "Records": ["ns.sub"]},
		{"Name": "ns.sub", "Type": "A", "Records": ["192.0.2.53"]}
	]`)
	if code, body := api.do("GET", "/v1/dns/zones/lab.example/dnssec", ""); code != 404 {
		t.Fatalf("DNSSEC of an unsigned zone: %d %s", code, body)
	}
	var info zone.DNSSECInfo
	if err := json.Unmarshal([]byte(api.ok("POST", "/v1/dns/zones/lab.example/secure", "")), &info); err != nil {
		t.Fatal(err)
	}
	rr, err := dns.NewRR(info.DNSKEY)
	if err != nil {
		t.Fatalf("DNSKEY %q: %v", info.DNSKEY, err)
	}
	key := rr.(*dns.DNSKEY)
	ds, err := dns.NewRR(info.DS[0])
	if err != nil || !strings.EqualFold(ds.(*dns.DS).Digest, key.ToDS(dns.SHA256).Digest) || ds.(*dns.DS).KeyTag != key.KeyTag() {
		t.Fatalf("DS %q does not match the DNSKEY %v (%v): %v", info.DS, key, err, key.ToDS(dns.SHA256))
	}
	if body := api.ok("GET", "/v1/dns/zones/lab.example", ""); strings.Contains(body, "PrivateKey:") {
		t.Fatalf("the zone API shows the DNSSEC private key: %s", body)
	}
	again := api.ok("POST", "/v1/dns/zones/lab.example/secure", "")
	if !strings.Contains(again, key.PublicKey) {
		t.Fatalf("securing a secured zone changed its key: %s", again)
	}

	ask := func(name string, qtype uint16, do bool) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		m.SetEdns0(1232, do)
		r, _, err := (&dns.Client{Net: "tcp", Timeout: 2 * time.Second}).Exchange(m, e.addr)
		if err != nil {
			t.Fatalf("%s %s: %v", name, dns.TypeToString[qtype], err)
		}
		return r
	}
	nsecTypes := func(r *dns.Msg) []string {
		for _, rr := range r.Ns {
			if n, ok := rr.(*dns.NSEC); ok {
				var out []string
				for _, typ := range n.TypeBitMap {
					out = append(out, dns.TypeToString[typ])
				}
				return out
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name      string
		qtype     uint16
		answer    []string // types of the answer's sets
		authority []string // types of the authority's sets
		nsec      []string
	}{
		{"lab.example.", dns.TypeDNSKEY, []string{"DNSKEY"}, nil, nil},
		{"www.lab.example.", dns.TypeA, []string{"A"}, nil, nil},
		{"lab.example.", dns.TypeSOA, []string{"SOA"}, nil, nil},
		{"x.wild.lab.example.", dns.TypeTXT, []string{"TXT"}, nil, nil},
		{"nope.lab.example.", dns.TypeA, nil, []string{"SOA", "NSEC"}, []string{"RRSIG", "NSEC"}},
		{"www.lab.example.", dns.TypeTXT, nil, []string{"SOA", "NSEC"}, []string{"A", "RRSIG", "NSEC"}},
		{"x.wild.lab.example.", dns.TypeA, nil, []string{"SOA", "NSEC"}, []string{"TXT", "RRSIG", "NSEC"}},
		{"host.sub.lab.example.", dns.TypeA, nil, []string{"NSEC"}, []string{"NS", "RRSIG", "NSEC"}},
	} {
		what := tc.name + " " + dns.TypeToString[tc.qtype]
		r := ask(tc.name, tc.qtype, true)
		if r.Rcode != dns.RcodeSuccess || r.IsEdns0() == nil || !r.IsEdns0().Do() {
			t.Errorf("%s: rcode %s, DO echoed %v", what, dns.RcodeToString[r.Rcode], r.IsEdns0() != nil && r.IsEdns0().Do())
		}
		if got := verifySigned(t, what+" answer", r.Answer, key); !slices.Equal(got, tc.answer) {
			t.Errorf("%s: answer sets %v, want %v", what, got, tc.answer)
		}
		auth := r.Ns
		if tc.qtype == dns.TypeA && strings.HasSuffix(tc.name, "sub.lab.example.") {
			// A referral: the NS set is the child's and is not signed.
			auth = slices.DeleteFunc(slices.Clone(auth), func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeNS })
		}
		if got := verifySigned(t, what+" authority", auth, key); !slices.Equal(got, tc.authority) {
			t.Errorf("%s: authority sets %v, want %v", what, got, tc.authority)
		}
		if got := nsecTypes(r); !slices.Equal(got, tc.nsec) {
			t.Errorf("%s: NSEC types %v, want %v", what, got, tc.nsec)
		}
	}
	// Without DO: no DNSSEC records, and NXDOMAIN stays NXDOMAIN.
	if r := ask("nope.lab.example.", dns.TypeA, false); r.Rcode != dns.RcodeNameError || len(r.Ns) != 1 {
		t.Errorf("nope without DO: %v", r)
	}
	if r := ask("www.lab.example.", dns.TypeA, false); len(r.Answer) != 2 {
		t.Errorf("www without DO: %v", r)
	}
	delvValidates(t, e.addr, key)
}

// delvValidates asks BIND's delv to validate answers with the zone's key
// as trust anchor, when delv is installed.
func delvValidates(t *testing.T, server string, key *dns.DNSKEY) {
	delv, err := exec.LookPath("delv")
	if err != nil {
		t.Log("delv not installed (Debian package bind9-dnsutils); validation by delv not checked")
		return
	}
	anchors := filepath.Join(t.TempDir(), "anchors")
	conf := `trust-anchors { "lab.example." static-key 257 3 13 "` + key.PublicKey + `"; };` + "\n"
	if err := os.WriteFile(anchors, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(server)
	for _, q := range [][]string{{"www.lab.example", "A"}, {"nope.lab.example", "A"}, {"www.lab.example", "TXT"}} {
		out, err := exec.Command(delv, "@"+host, "-p", port, "-a", anchors, "+root=lab.example", "+tcp", q[0], q[1]).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "fully validated") {
			t.Errorf("delv %v: %v\n%s", q, err, out)
		}
	}
}

func TestDenialNSEC(t *testing.T) {
	az := &authZone{names: map[string]map[uint16][]dns.RR{
		"z.":     {dns.TypeSOA: {rr("z. 60 IN SOA ns. h. 1 1 1 1 60")}},
		"www.z.": {dns.TypeA: {rr("www.z. 60 IN A 192.0.2.1")}, dns.TypeAAAA: {rr("www.z. 60 IN AAAA 2001:db8::1")}},
		"b.z.":   {},
		"w.z.":   {},
		"*.w.z.": {dns.TypeTXT: {rr("*.w.z. 60 IN TXT x")}},
	}, neg: rr("z. 30 IN SOA ns. h. 1 1 1 1 30").(*dns.SOA)}
	az.z.Name = "z."
	referral := &dns.Msg{Ns: []dns.RR{rr("Sub.z. 60 IN NS ns.sub.z.")}}
	for _, tc := range []struct {
		name, qname string
		m           *dns.Msg
		owner, next string
		types       []uint16
	}{
		{"missing name: black lie", "nope.z.", &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}}, "nope.z.", "\\000.nope.z.", []uint16{dns.TypeRRSIG, dns.TypeNSEC}},
		{"existing name: its types", "www.z.", &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}}, "www.z.", "\\000.www.z.", []uint16{dns.TypeA, dns.TypeAAAA, dns.TypeRRSIG, dns.TypeNSEC}},
		{"empty non-terminal", "b.z.", &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}}, "b.z.", "\\000.b.z.", []uint16{dns.TypeRRSIG, dns.TypeNSEC}},
		{"wildcard match", "x.w.z.", &dns.Msg{MsgHdr: dns.MsgHdr{Authoritative: true}}, "x.w.z.", "\\000.x.w.z.", []uint16{dns.TypeTXT, dns.TypeRRSIG, dns.TypeNSEC}},
		{"referral: NS, no DS", "a.sub.z.", referral, "sub.z.", "\\000.sub.z.", []uint16{dns.TypeNS, dns.TypeRRSIG, dns.TypeNSEC}},
	} {
		n := az.denial(tc.m, tc.qname)
		if n == nil || n.Hdr.Name != tc.owner || n.NextDomain != tc.next || !slices.Equal(n.TypeBitMap, tc.types) || n.Hdr.Ttl != 30 {
			t.Errorf("%s: %v, want %s %s %v ttl 30", tc.name, n, tc.owner, tc.next, tc.types)
		}
	}
	if n := az.denial(&dns.Msg{}, "x.z."); n != nil {
		t.Errorf("non-authoritative answer without NS got %v", n)
	}
}
