package zoneapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/orbit/orbit/internal/dns"
	"github.com/orbit/orbit/internal/doctor"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/zone"
)

// env is the zone API over a real store, view and DNS server, so every
// write is checked by the DNS answers it must be visible in.
type env struct {
	base string // the API's URL
	addr string // the DNS server's host:port
}

func start(t *testing.T, writable bool) *env {
	t.Helper()
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	srv, err := dns.New(dns.Config{Addr: "127.0.0.1:0", NoForward: true}, dns.Deps{Catalog: v, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dns Run: %v", err)
		}
	})
	deps := Deps{View: v, DNS: srv, Logger: orbittest.Logger(t)}
	if writable {
		deps.Writer = st
	}
	h, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	udp, _ := srv.Addr()
	return &env{base: hs.URL, addr: udp.String()}
}

func (e *env) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (e *env) ok(t *testing.T, method, path, body string) string {
	t.Helper()
	code, out := e.do(t, method, path, body)
	if code/100 != 2 {
		t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

func (e *env) serial(t *testing.T, zoneName string) uint32 {
	t.Helper()
	var d zone.Detail
	if err := json.Unmarshal([]byte(e.ok(t, "GET", "/v1/dns/zones/"+zoneName, "")), &d); err != nil {
		t.Fatal(err)
	}
	return d.Zone.Serial
}

func (e *env) query(t *testing.T, name string, qtype uint16) *mdns.Msg {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(name, qtype)
	c := &mdns.Client{Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, e.addr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, mdns.TypeToString[qtype], err)
	}
	return r
}

func answers(r *mdns.Msg) []string {
	var out []string
	for _, rr := range r.Answer {
		switch x := rr.(type) {
		case *mdns.A:
			out = append(out, x.A.String())
		case *mdns.AAAA:
			out = append(out, x.AAAA.String())
		case *mdns.SRV:
			out = append(out, x.Target+":"+strconv.Itoa(int(x.Port)))
		case *mdns.PTR:
			out = append(out, x.Ptr)
		case *mdns.CNAME:
			out = append(out, "CNAME "+x.Target)
		default:
			out = append(out, strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
	}
	slices.Sort(out)
	return out
}

func TestInfo(t *testing.T) {
	e := start(t, true)
	e.ok(t, "PUT", "/v1/dns/zones/lab.example", "")
	var info doctor.Info
	if err := json.Unmarshal([]byte(e.ok(t, "GET", "/v1/dns/info", "")), &info); err != nil {
		t.Fatal(err)
	}
	if info.Addr != e.addr || info.Forwarding || !slices.Equal(info.Zones, []string{"lab.example."}) || info.Upstreams == nil {
		t.Fatalf("info = %+v", info)
	}
}

// TestWithoutWriter: an agent without a zone writer answers writes with a
// 500 that names no internal detail, and still serves reads.
func TestWithoutWriter(t *testing.T) {
	e := start(t, false)
	code, out := e.do(t, "PUT", "/v1/dns/zones/lab.example", "")
	if code != http.StatusInternalServerError || !strings.HasPrefix(out, "internal error (request id ") || strings.Contains(out, "zone writes") {
		t.Fatalf("write without writer: %d %q", code, out)
	}
	if out := e.ok(t, "GET", "/v1/dns/zones", ""); strings.TrimSpace(out) != "[]" {
		t.Fatalf("zones = %q", out)
	}
}

func TestZonesThroughAPI(t *testing.T) {
	e := start(t, true)
	if code, out := e.do(t, "PUT", "/v1/dns/zones/Lab.Example", `{"Minimum": 30}`); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, out)
	}
	if code, _ := e.do(t, "PUT", "/v1/dns/zones/lab.example.", ""); code != http.StatusConflict {
		t.Fatalf("create twice: %d", code)
	}
	s0 := e.serial(t, "lab.example")
	e.ok(t, "PUT", "/v1/dns/zones/lab.example/records", `[
		{"Name": "www", "Type": "A", "TTL": 60, "Records": ["192.0.2.10", "192.0.2.11"]},
		{"Name": "alias", "Type": "CNAME", "Records": ["www"]},
		{"Name": "@", "Type": "MX", "Records": ["10 mail"]},
		{"Name": "mail", "Type": "A", "Records": ["192.0.2.25"]},
		{"Name": "@", "Type": "TXT", "Records": ["v=spf1 mx -all"]},
		{"Name": "_sip._tcp", "Type": "SRV", "Records": ["0 5 5060 www"]},
		{"Name": "sub", "Type": "NS", "Records": ["ns.sub"]},
		{"Name": "ns.sub", "Type": "A", "Records": ["192.0.2.53"]},
		{"Name": "*.apps", "Type": "A", "Records": ["192.0.2.80"]},
		{"Name": "@", "Type": "CAA", "Records": ["0 issue \"letsencrypt.org\""]},
		{"Name": "v6", "Type": "AAAA", "Records": ["2001:db8::1"]}
	]`)
	s1 := e.serial(t, "lab.example")
	if s1 <= s0 {
		t.Fatalf("serial did not bump: %d → %d", s0, s1)
	}

	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"www.lab.example.", mdns.TypeA, mdns.RcodeSuccess, []string{"192.0.2.10", "192.0.2.11"}},
		{"WWW.LAB.EXAMPLE.", mdns.TypeA, mdns.RcodeSuccess, []string{"192.0.2.10", "192.0.2.11"}},
		{"alias.lab.example.", mdns.TypeA, mdns.RcodeSuccess, []string{"192.0.2.10", "192.0.2.11", "CNAME www.lab.example."}},
		{"lab.example.", mdns.TypeMX, mdns.RcodeSuccess, []string{"10 mail.lab.example."}},
		{"lab.example.", mdns.TypeTXT, mdns.RcodeSuccess, []string{`"v=spf1 mx -all"`}},
		{"lab.example.", mdns.TypeCAA, mdns.RcodeSuccess, []string{`0 issue "letsencrypt.org"`}},
		{"_sip._tcp.lab.example.", mdns.TypeSRV, mdns.RcodeSuccess, []string{"www.lab.example.:5060"}},
		{"v6.lab.example.", mdns.TypeAAAA, mdns.RcodeSuccess, []string{"2001:db8::1"}},
		{"x.apps.lab.example.", mdns.TypeA, mdns.RcodeSuccess, []string{"192.0.2.80"}},
		{"nope.lab.example.", mdns.TypeA, mdns.RcodeNameError, nil},
		{"www.lab.example.", mdns.TypeTXT, mdns.RcodeSuccess, nil},
		// an empty non-terminal exists: NODATA, not NXDOMAIN
		{"_tcp.lab.example.", mdns.TypeA, mdns.RcodeSuccess, nil},
	}
	for _, tt := range tests {
		r := e.query(t, tt.name, tt.qtype)
		if r.Rcode != tt.rcode || !slices.Equal(answers(r), tt.want) || !r.Authoritative {
			t.Errorf("%s %s: rcode %s aa %v answers %v, want %s %v", tt.name, mdns.TypeToString[tt.qtype],
				mdns.RcodeToString[r.Rcode], r.Authoritative, answers(r), mdns.RcodeToString[tt.rcode], tt.want)
		}
		if len(r.Answer) == 0 {
			if len(r.Ns) != 1 {
				t.Errorf("%s: negative answer without SOA", tt.name)
				continue
			}
			soa := r.Ns[0].(*mdns.SOA)
			if soa.Serial != s1 || soa.Hdr.Ttl != 30 {
				t.Errorf("%s: negative SOA %v, want serial %d TTL 30", tt.name, soa, s1)
			}
		}
	}
	// MX answers carry the exchanger's address.
	if r := e.query(t, "lab.example.", mdns.TypeMX); len(r.Extra) != 1 {
		t.Errorf("MX additional = %v", r.Extra)
	}
	// A delegation gets a referral with glue, not an authoritative answer.
	r := e.query(t, "host.sub.lab.example.", mdns.TypeA)
	if r.Authoritative || len(r.Ns) != 1 || r.Ns[0].Header().Rrtype != mdns.TypeNS || len(r.Extra) != 1 {
		t.Errorf("referral = %v", r)
	}
	if r := e.query(t, "lab.example.", mdns.TypeSOA); len(r.Answer) != 1 || r.Answer[0].(*mdns.SOA).Serial != s1 {
		t.Errorf("SOA = %v", r.Answer)
	}

	// Bad input is a 400 naming the problem, and changes nothing.
	bad := []struct{ body, says string }{
		{`{"Name": "www", "Type": "CNAME", "Records": ["elsewhere.org."]}`, "CNAME beside other data"},
		{`{"Name": "www.other.org.", "Type": "A", "Records": ["192.0.2.1"]}`, "outside zone"},
		{`{"Name": "bad..name", "Type": "A", "Records": ["192.0.2.1"]}`, "not a valid domain name"},
		{`{"Name": "x", "Type": "A", "Records": ["300.1.1.1"]}`, "300.1.1.1"},
		{`{"Name": "x", "Type": "SPF", "Records": ["x"]}`, "not supported"},
		{`{"Name": "x", "Type": "A"}`, "no records"},
		{`{"Name": 5}`, "record set"},
	}
	for _, b := range bad {
		code, out := e.do(t, "PUT", "/v1/dns/zones/lab.example/records", b.body)
		if code != http.StatusBadRequest || !strings.Contains(out, b.says) {
			t.Errorf("PUT %s: %d %q, want 400 saying %q", b.body, code, out, b.says)
		}
	}
	if code, out := e.do(t, "PUT", "/v1/dns/zones/bad_zone..x", ""); code != http.StatusBadRequest {
		t.Errorf("bad zone name: %d %s", code, out)
	}
	if code, _ := e.do(t, "PUT", "/v1/dns/zones/nozone.example/records", `{"Name":"a","Type":"A","Records":["192.0.2.1"]}`); code != http.StatusNotFound {
		t.Errorf("records of a missing zone: %d", code)
	}
	if s := e.serial(t, "lab.example"); s != s1 {
		t.Fatalf("a refused write changed the serial: %d → %d", s1, s)
	}

	// Replacing and deleting a set: answered at once (read-your-writes).
	e.ok(t, "PUT", "/v1/dns/zones/lab.example/records", `{"Name": "www", "Type": "A", "Records": ["192.0.2.99"]}`)
	if got := answers(e.query(t, "www.lab.example.", mdns.TypeA)); !slices.Equal(got, []string{"192.0.2.99"}) {
		t.Fatalf("after replace: %v", got)
	}
	e.ok(t, "DELETE", "/v1/dns/zones/lab.example/records/alias/CNAME", "")
	if r := e.query(t, "alias.lab.example.", mdns.TypeA); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("after delete: %v", r)
	}
	if code, _ := e.do(t, "DELETE", "/v1/dns/zones/lab.example/records/alias/CNAME", ""); code != http.StatusNotFound {
		t.Fatalf("delete twice: %d", code)
	}
	var list []zone.RRSet
	if err := json.Unmarshal([]byte(e.ok(t, "GET", "/v1/dns/zones/lab.example/records?name=www&type=a", "")), &list); err != nil || len(list) != 1 {
		t.Fatalf("filtered list: %v %v", list, err)
	}
	var zones []zone.Summary
	if err := json.Unmarshal([]byte(e.ok(t, "GET", "/v1/dns/zones", "")), &zones); err != nil || len(zones) != 1 || zones[0].RecordSets != 10 {
		t.Fatalf("zones = %+v %v", zones, err)
	}
	if out := e.ok(t, "GET", "/v1/dns/zones/lab.example/export", ""); !strings.Contains(out, "www.lab.example.\t3600\tIN\tA\t192.0.2.99") {
		t.Fatalf("export:\n%s", out)
	}

	// Deleting the zone stops answering for it.
	e.ok(t, "DELETE", "/v1/dns/zones/lab.example", "")
	if r := e.query(t, "www.lab.example.", mdns.TypeA); r.Rcode != mdns.RcodeRefused {
		t.Fatalf("after zone delete: %s", mdns.RcodeToString[r.Rcode])
	}
	if code, _ := e.do(t, "DELETE", "/v1/dns/zones/lab.example", ""); code != http.StatusNotFound {
		t.Fatalf("delete zone twice: %d", code)
	}
}

func TestImportAndReverseZone(t *testing.T) {
	e := start(t, true)
	const file = `$ORIGIN 2.0.192.in-addr.arpa.
$TTL 600
@	IN SOA ns1.lab.example. hostmaster.lab.example. 2020010101 3600 600 604800 60
@	IN NS ns1.lab.example.
10	IN PTR www.lab.example.
11	IN PTR www2.lab.example.
`
	out := e.ok(t, "POST", "/v1/dns/zones/2.0.192.in-addr.arpa/import", file)
	var info zone.Summary
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.RecordSets != 3 || info.Serial <= 2020010101 {
		t.Fatalf("import: %s %v", out, err)
	}
	rev, _ := mdns.ReverseAddr("192.0.2.10")
	if got := answers(e.query(t, rev, mdns.TypePTR)); !slices.Equal(got, []string{"www.lab.example."}) {
		t.Fatalf("PTR = %v", got)
	}
	// Re-importing replaces the records: 11 disappears.
	e.ok(t, "POST", "/v1/dns/zones/2.0.192.in-addr.arpa/import", strings.Replace(file, "11\tIN PTR www2.lab.example.\n", "", 1))
	rev11, _ := mdns.ReverseAddr("192.0.2.11")
	if r := e.query(t, rev11, mdns.TypePTR); r.Rcode != mdns.RcodeNameError {
		t.Fatalf("PTR 11 after re-import: %v", r)
	}
	code, msg := e.do(t, "POST", "/v1/dns/zones/2.0.192.in-addr.arpa/import", "www IN A 1.2.3.4\nwww IN CNAME x.org.\n")
	if code != http.StatusBadRequest || !strings.Contains(msg, "CNAME beside other data") {
		t.Fatalf("bad import: %d %s", code, msg)
	}
	if got := answers(e.query(t, rev, mdns.TypePTR)); !slices.Equal(got, []string{"www.lab.example."}) {
		t.Fatalf("a refused import changed the zone: %v", got)
	}
}
