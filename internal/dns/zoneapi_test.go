package dns

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/zone"
	"github.com/orbit/orbit/internal/zoneapi"
)

type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) do(method, path, body string) (int, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (c apiClient) ok(method, path, body string) string {
	c.t.Helper()
	code, out := c.do(method, path, body)
	if code/100 != 2 {
		c.t.Fatalf("%s %s: %d %s", method, path, code, out)
	}
	return out
}

func (c apiClient) serial(zoneName string) uint32 {
	c.t.Helper()
	var d zone.Detail
	if err := json.Unmarshal([]byte(c.ok("GET", "/v1/dns/zones/"+zoneName, "")), &d); err != nil {
		c.t.Fatal(err)
	}
	return d.Zone.Serial
}

// startAPI serves the zone API over e, to set zones up as users do.
func startAPI(t *testing.T, e *env) apiClient {
	h, err := zoneapi.New(zoneapi.Deps{View: e.v, Writer: e.st, DNS: e.srv, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return apiClient{t, hs.URL}
}

func TestRouterHosts(t *testing.T) {
	e := start(t, Config{}, map[string]bool{"myapp.lab.example": true, "Other.Test": true, "down.test": false})
	api := startAPI(t, e)
	api.ok("PUT", "/v1/dns/zones/lab.example", "")
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `{"Name": "fixed", "Type": "A", "Records": ["192.0.2.1"]}`)
	edge := &catalog.Node{Name: "edge1", Address: "127.0.0.41", Roles: []string{"edge", "client"}}
	plain := &catalog.Node{Name: "worker", Address: "127.0.0.42", Roles: []string{"client"}}
	for _, n := range []*catalog.Node{edge, plain} {
		if _, err := e.st.RegisterNode(t.Context(), n, 0); err != nil {
			t.Fatal(err)
		}
	}
	orbittestEventually(t, "router host answered", func() bool {
		return slices.Equal(answers(e.query(t, "myapp.lab.example.", dns.TypeA, "udp")), []string{"127.0.0.41"})
	})
	if got := answers(e.query(t, "other.test.", dns.TypeA, "udp")); !slices.Equal(got, []string{"127.0.0.41"}) {
		t.Fatalf("other.test = %v", got)
	}
	if r := e.query(t, "down.test.", dns.TypeA, "udp"); r.Rcode != dns.RcodeRefused {
		t.Fatalf("host without a passing instance answered: %v", r)
	}
	// The router loses its last passing instance: the name goes away
	// (inside a zone, it becomes NXDOMAIN) as soon as the table that says
	// so is handed over, without a view change.
	e.srv.setHosts(map[string]bool{"myapp.lab.example": false, "fixed.lab.example": true})
	if r := e.query(t, "myapp.lab.example.", dns.TypeA, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("router host still answered once its table was handed over: %v", r)
	}
	// An explicit zone record wins over a router host of the same name.
	if got := answers(e.query(t, "fixed.lab.example.", dns.TypeA, "udp")); !slices.Equal(got, []string{"192.0.2.1"}) {
		t.Fatalf("fixed = %v", got)
	}
}

func TestLargeZoneImport(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	var b strings.Builder
	b.WriteString("$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 192.0.2.1\n")
	for i := 0; i < 2000; i++ {
		b.WriteString("host" + itoa(i) + " IN A 198.18." + itoa(i/250) + "." + itoa(i%250+1) + "\n")
	}
	out := api.ok("POST", "/v1/dns/zones/big.example/import", b.String())
	var info zone.Summary
	if err := json.Unmarshal([]byte(out), &info); err != nil || info.RecordSets != 2002 {
		t.Fatalf("import: %s", out)
	}
	for _, i := range []int{0, 777, 1999} {
		want := "198.18." + itoa(i/250) + "." + itoa(i%250+1)
		if got := answers(e.query(t, "host"+itoa(i)+".big.example.", dns.TypeA, "udp")); !slices.Equal(got, []string{want}) {
			t.Fatalf("host%d = %v, want %s", i, got, want)
		}
	}
	api.ok("DELETE", "/v1/dns/zones/big.example/records/host5/A", "")
	if r := e.query(t, "host5.big.example.", dns.TypeA, "udp"); r.Rcode != dns.RcodeNameError {
		t.Fatalf("host5 after delete: %v", r)
	}
	if got := answers(e.query(t, "host6.big.example.", dns.TypeA, "udp")); len(got) != 1 {
		t.Fatalf("host6 lost with host5: %v", got)
	}
}

func TestPacketCacheReplaysWithQueryID(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	api.ok("PUT", "/v1/dns/zones/pc.example", "")
	api.ok("PUT", "/v1/dns/zones/pc.example/records", `{"Name": "www", "Type": "A", "Records": ["192.0.2.1"]}`)
	// A table rebuild (any catalog change) empties the packet cache; on a
	// loaded machine one can land mid-sequence, so retry a sequence that
	// saw a rebuild.
	for attempt := 0; ; attempt++ {
		hits0 := counterValue(t, e.reg, "orbit_dns_packet_cache_hits_total", "")
		builds0 := counterValue(t, e.reg, "orbit_dns_table_rebuilds_total", "")
		for i, name := range []string{"www.pc.example.", "www.pc.example.", "WwW.pc.example.", "www.pc.example."} {
			m := new(dns.Msg)
			m.SetQuestion(name, dns.TypeA)
			m.Id = uint16(1000 + i)
			r, _, err := new(dns.Client).Exchange(m, e.addr)
			if err != nil || r.Id != m.Id || r.Question[0].Name != name || !slices.Equal(answers(r), []string{"192.0.2.1"}) {
				t.Fatalf("query %d: %v %v", i, r, err)
			}
		}
		hits := counterValue(t, e.reg, "orbit_dns_packet_cache_hits_total", "") - hits0
		if counterValue(t, e.reg, "orbit_dns_table_rebuilds_total", "") != builds0 && attempt < 5 {
			continue
		}
		// Queries 2 and 4 replay query 1's bytes; the case-changed query 3
		// never does. After a retry, query 1 may hit the refilled cache too.
		if hits != 2 && !(attempt > 0 && hits == 3) {
			t.Fatalf("packet cache hits = %v, want 2 (same bytes replayed; the case-changed query is not)", hits)
		}
		break
	}
	api.ok("PUT", "/v1/dns/zones/pc.example/records", `{"Name": "www", "Type": "A", "Records": ["192.0.2.2"]}`)
	if got := answers(e.query(t, "www.pc.example.", dns.TypeA, "udp")); !slices.Equal(got, []string{"192.0.2.2"}) {
		t.Fatalf("after change: %v", got)
	}
}
