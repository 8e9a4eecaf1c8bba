package dns

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/zone"
)

// freePort returns a port free for both UDP and TCP on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 50; i++ {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// pdnsSecondary runs PowerDNS authoritative (bind backend) as a secondary
// of zone, pulling from primary, as a child process of the test.
func pdnsSecondary(t testing.TB, zoneName, primary string) (addr string) {
	t.Helper()
	return pdnsSecondaryWith(t, zoneName, primary, pdnsOptions{})
}

// pdnsOptions configure the PowerDNS secondary beyond the defaults.
type pdnsOptions struct {
	// tsig, when set, is imported with pdnsutil and named in the zone's
	// AXFR-MASTER-TSIG metadata: PowerDNS then signs its SOA checks and
	// transfers with it (as `pdnsutil import-tsig-key` and `set-meta`).
	tsig *zone.TSIGKey
	// ixfr sets the zone's IXFR metadata: PowerDNS asks for IXFR first.
	ixfr bool
	// out, when set, receives PowerDNS's log.
	out *orbittest.SyncBuffer
}

func pdnsSecondaryWith(t testing.TB, zoneName, primary string, o pdnsOptions) (addr string) {
	t.Helper()
	bin, err := exec.LookPath("pdns_server")
	if err != nil {
		t.Skip("pdns_server not installed (Debian packages pdns-server and pdns-backend-bind)")
	}
	if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/pdns/libbindbackend.so"); err != nil {
		if m, _ := filepath.Glob("/usr/lib/*/pdns/libbindbackend.so"); len(m) == 0 {
			t.Skip("PowerDNS bind backend not installed (Debian package pdns-backend-bind)")
		}
	}
	dir := t.TempDir()
	port := freePort(t)
	named := fmt.Sprintf("options { directory %q; };\nzone %q { type slave; file %q; masters { %s; }; };\n",
		dir, zoneName, filepath.Join(dir, "zone.db"), primary)
	if err := os.WriteFile(filepath.Join(dir, "named.conf"), []byte(named), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--config-dir=" + dir, "--socket-dir=" + dir, "--daemon=no", "--guardian=no", "--disable-syslog=yes",
		"--local-address=127.0.0.1", "--local-port=" + strconv.Itoa(port),
		"--secondary=yes", "--allow-notify-from=127.0.0.0/8", "--xfr-cycle-interval=3600",
		"--webserver=no", "--api=no", "--loglevel=6", "--write-pid=no",
	}
	// The backend settings live in pdns.conf so pdnsutil reads them too.
	conf := "launch=bind\nbind-config=" + filepath.Join(dir, "named.conf") + "\n"
	if o.tsig != nil || o.ixfr {
		conf += "bind-dnssec-db=" + filepath.Join(dir, "bind-dnssec.db") + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if o.tsig != nil || o.ixfr {
		pdnsutil := func(args ...string) {
			t.Helper()
			out, err := exec.Command("pdnsutil", append([]string{"--config-dir=" + dir}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("pdnsutil %v: %v\n%s", args, err, out)
			}
		}
		pdnsutil("create-bind-db", filepath.Join(dir, "bind-dnssec.db"))
		if o.tsig != nil {
			pdnsutil("import-tsig-key", o.tsig.Name, o.tsig.Algorithm, o.tsig.Secret)
			pdnsutil("set-meta", zoneName, "AXFR-MASTER-TSIG", o.tsig.Name)
		}
		if o.ixfr {
			pdnsutil("set-meta", zoneName, "IXFR", "1")
		}
	}
	out := o.out
	if out == nil {
		out = new(orbittest.SyncBuffer)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pdns_server: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pdns_server output:\n%s", out.String())
		}
	})
	addr = "127.0.0.1:" + strconv.Itoa(port)
	orbittest.Eventually(t, 20*time.Second, "pdns_server answering", func() bool {
		m := new(dns.Msg)
		m.SetQuestion("version.bind.", dns.TypeTXT)
		m.Question[0].Qclass = dns.ClassCHAOS
		_, _, err := (&dns.Client{Timeout: 200 * time.Millisecond}).Exchange(m, addr)
		return err == nil
	})
	return addr
}

func TestPowerDNSSecondaryPullsByAXFR(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	pdns := pdnsSecondary(t, "lab.example", e.addr)
	api.ok("PUT", "/v1/dns/zones/lab.example", `{"AlsoNotify": ["`+pdns+`"]}`)
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `[
		{"Name": "@", "Type": "NS", "Records": ["ns1"]},
		{"Name": "ns1", "Type": "A", "Records": ["192.0.2.1"]},
		{"Name": "www", "Type": "A", "Records": ["192.0.2.10", "192.0.2.11"]},
		{"Name": "@", "Type": "MX", "Records": ["10 mail.lab.example."]},
		{"Name": "txt", "Type": "TXT", "Records": ["hello world"]},
		{"Name": "_http._tcp", "Type": "SRV", "Records": ["0 5 8080 www"]}
	]`)
	ask := func(server, name string, qtype uint16) (*dns.Msg, error) {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, server)
		return r, err
	}
	serial := api.serial("lab.example")
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to serve the transferred zone", func() bool {
		r, err := ask(pdns, "lab.example.", dns.TypeSOA)
		return err == nil && len(r.Answer) == 1 && r.Answer[0].(*dns.SOA).Serial == serial
	})
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"www.lab.example.", dns.TypeA}, {"lab.example.", dns.TypeMX}, {"txt.lab.example.", dns.TypeTXT},
		{"_http._tcp.lab.example.", dns.TypeSRV}, {"lab.example.", dns.TypeNS}, {"nope.lab.example.", dns.TypeA},
	} {
		ours, theirs := e.query(t, q.name, q.qtype, "udp"), must(ask(pdns, q.name, q.qtype))
		if ours.Rcode != theirs.Rcode || !slices.Equal(answers(ours), answers(theirs)) {
			t.Errorf("%s %s: orbit %s %v, PowerDNS %s %v", q.name, dns.TypeToString[q.qtype],
				dns.RcodeToString[ours.Rcode], answers(ours), dns.RcodeToString[theirs.Rcode], answers(theirs))
		}
	}
	// A change bumps the serial, NOTIFYs, and PowerDNS pulls it.
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `{"Name": "new", "Type": "A", "Records": ["192.0.2.77"]}`)
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to pull the change after NOTIFY", func() bool {
		r, err := ask(pdns, "new.lab.example.", dns.TypeA)
		return err == nil && slices.Equal(answers(r), []string{"192.0.2.77"})
	})
	// Transfers are refused to addresses the zone does not list.
	api.ok("PATCH", "/v1/dns/zones/lab.example", `{"AlsoNotify": ["192.0.2.200"]}`)
	tr := new(dns.Transfer)
	m := new(dns.Msg)
	m.SetAxfr("lab.example.")
	ch, err := tr.In(m, e.addr)
	if err != nil {
		t.Fatal(err)
	}
	env := <-ch
	if env.Error == nil {
		t.Fatalf("AXFR from an unlisted address was allowed: %d records", len(env.RR))
	}
	for range ch {
	}
}

func must(r *dns.Msg, err error) *dns.Msg {
	if err != nil {
		return &dns.Msg{MsgHdr: dns.MsgHdr{Rcode: -1}}
	}
	return r
}

// xfrKey is the TSIG key of the transfer tests (32 random-looking bytes).
var xfrKey = zone.TSIGKey{Name: "xfr-key.", Algorithm: "hmac-sha256", Secret: "u3HmNfvSMFMkO0h+ZqWEtJmBFKc7nzE4Zx3u6Xw9qXc="}

// transferWith runs an AXFR or IXFR (from serial have) of zoneName from
// server, signed with key when it is non-nil, and returns the records or
// the error the transfer ended with.
func transferWith(zoneName, server string, qtype uint16, have uint32, key *zone.TSIGKey) ([]dns.RR, error) {
	m := new(dns.Msg)
	if qtype == dns.TypeIXFR {
		m.SetIxfr(zoneName, have, "ns1."+zoneName, "hostmaster."+zoneName)
	} else {
		m.SetAxfr(zoneName)
	}
	tr := new(dns.Transfer)
	if key != nil {
		tr.TsigSecret = map[string]string{key.Name: key.Secret}
		m.SetTsig(key.Name, dns.HmacSHA256, 300, time.Now().Unix())
	}
	ch, err := tr.In(m, server)
	if err != nil {
		return nil, err
	}
	var rrs []dns.RR
	var first error
	for env := range ch {
		if env.Error != nil && first == nil {
			first = env.Error
		}
		rrs = append(rrs, env.RR...)
	}
	return rrs, first
}

func TestPowerDNSSecondaryWithTSIG(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	key := xfrKey
	pdns := pdnsSecondaryWith(t, "lab.example", e.addr, pdnsOptions{tsig: &key})
	api.ok("PUT", "/v1/dns/zones/lab.example", `{"AlsoNotify": ["`+pdns+`"],
		"TSIGKeys": [{"Name": "xfr-key", "Algorithm": "hmac-sha256", "Secret": "`+key.Secret+`"}]}`)
	if body := api.ok("GET", "/v1/dns/zones/lab.example", ""); strings.Contains(body, key.Secret) {
		t.Fatalf("the zone API shows the TSIG secret: %s", body)
	}
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `[
		{"Name": "@", "Type": "NS", "Records": ["ns1"]},
		{"Name": "ns1", "Type": "A", "Records": ["192.0.2.1"]},
		{"Name": "www", "Type": "A", "Records": ["192.0.2.10"]}
	]`)
	ask := func(name string, qtype uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, pdns)
		return must(r, err)
	}
	serial := api.serial("lab.example")
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to transfer the zone with TSIG", func() bool {
		r := ask("lab.example.", dns.TypeSOA)
		return len(r.Answer) == 1 && r.Answer[0].(*dns.SOA).Serial == serial
	})
	if r := ask("www.lab.example.", dns.TypeA); !slices.Equal(answers(r), []string{"192.0.2.10"}) {
		t.Fatalf("PowerDNS answers www with %v", answers(r))
	}
	// A change NOTIFYs (signed), and PowerDNS pulls it with TSIG.
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `{"Name": "new", "Type": "A", "Records": ["192.0.2.77"]}`)
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to pull the change after a signed NOTIFY", func() bool {
		return slices.Equal(answers(ask("new.lab.example.", dns.TypeA)), []string{"192.0.2.77"})
	})

	// Unsigned transfers are refused, wrongly signed ones get NOTAUTH,
	// signed ones get the zone: with miekg's client and with dig -y.
	if _, err := transferWith("lab.example.", e.addr, dns.TypeAXFR, 0, nil); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("rcode: %d", dns.RcodeRefused)) {
		t.Errorf("unsigned AXFR: %v, want REFUSED", err)
	}
	wrong := key
	wrong.Secret = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	if _, err := transferWith("lab.example.", e.addr, dns.TypeAXFR, 0, &wrong); err == nil {
		t.Errorf("AXFR signed with a wrong secret succeeded")
	} else {
		t.Logf("AXFR signed with a wrong secret: %v", err)
	}
	other := zone.TSIGKey{Name: "other-key.", Algorithm: "hmac-sha256", Secret: key.Secret}
	if _, err := transferWith("lab.example.", e.addr, dns.TypeAXFR, 0, &other); err == nil {
		t.Errorf("AXFR signed with an unknown key succeeded")
	}
	rrs, err := transferWith("lab.example.", e.addr, dns.TypeAXFR, 0, &key)
	if err != nil || len(rrs) != 6 {
		t.Fatalf("signed AXFR: %d records, %v; want 6 (SOA, NS, 3 A, SOA)", len(rrs), err)
	}
	// A signed query is answered signed, over UDP and TCP.
	for _, net := range []string{"udp", "tcp"} {
		m := new(dns.Msg)
		m.SetQuestion("www.lab.example.", dns.TypeA)
		m.SetTsig(key.Name, dns.HmacSHA256, 300, time.Now().Unix())
		c := &dns.Client{Net: net, TsigSecret: map[string]string{key.Name: key.Secret}, Timeout: 2 * time.Second}
		r, _, err := c.Exchange(m, e.addr)
		if err != nil || r.IsTsig() == nil || !slices.Equal(answers(r), []string{"192.0.2.10"}) {
			t.Errorf("signed %s query: %v %v", net, r, err)
		}
		c.TsigSecret = map[string]string{key.Name: wrong.Secret}
		m.SetTsig(key.Name, dns.HmacSHA256, 300, time.Now().Unix())
		m.Extra = m.Extra[len(m.Extra)-1:]
		r, _, _ = c.Exchange(m, e.addr)
		if r == nil || r.Rcode != dns.RcodeNotAuth {
			t.Errorf("wrongly signed %s query: %v, want NOTAUTH", net, r)
		}
	}
	digTransfers(t, e.addr, key, wrong)
}

// digTransfers checks dig's AXFR with -y (signed), without, and with a
// wrong secret.
func digTransfers(t *testing.T, server string, key, wrong zone.TSIGKey) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Log("dig not installed (Debian package dnsutils); its transfers not checked")
		return
	}
	host, port, _ := net.SplitHostPort(server)
	run := func(extra ...string) string {
		args := append([]string{"@" + host, "-p", port, "+time=2", "+tries=1", "AXFR", "lab.example"}, extra...)
		out, _ := exec.Command(dig, args...).CombinedOutput()
		return string(out)
	}
	if out := run("-y", "hmac-sha256:xfr-key:"+key.Secret); !strings.Contains(out, "192.0.2.77") || strings.Contains(out, "failed") {
		t.Errorf("dig -y AXFR:\n%s", out)
	}
	if out := run(); !strings.Contains(out, "Transfer failed") {
		t.Errorf("dig AXFR without a key was not refused:\n%s", out)
	}
	if out := run("-y", "hmac-sha256:xfr-key:"+wrong.Secret); strings.Contains(out, "192.0.2.77") {
		t.Errorf("dig AXFR with a wrong secret transferred the zone:\n%s", out)
	}
}

func TestIXFRFromJournal(t *testing.T) {
	e := start(t, Config{}, nil)
	api := startAPI(t, e)
	key := xfrKey
	var pdnsLog orbittest.SyncBuffer
	pdns := pdnsSecondaryWith(t, "lab.example", e.addr, pdnsOptions{tsig: &key, ixfr: true, out: &pdnsLog})
	api.ok("PUT", "/v1/dns/zones/lab.example", `{"AlsoNotify": ["`+pdns+`"],
		"TSIGKeys": [{"Name": "xfr-key", "Secret": "`+key.Secret+`"}]}`)
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `[
		{"Name": "@", "Type": "NS", "Records": ["ns1"]},
		{"Name": "ns1", "Type": "A", "Records": ["192.0.2.1"]},
		{"Name": "www", "Type": "A", "Records": ["192.0.2.10"]},
		{"Name": "old", "Type": "A", "Records": ["192.0.2.20"]}
	]`)
	ask := func(name string, qtype uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, pdns)
		return must(r, err)
	}
	s1 := api.serial("lab.example")
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to transfer the zone", func() bool {
		r := ask("lab.example.", dns.TypeSOA)
		return len(r.Answer) == 1 && r.Answer[0].(*dns.SOA).Serial == s1
	})
	api.ok("DELETE", "/v1/dns/zones/lab.example/records/old/A", "")
	api.ok("PUT", "/v1/dns/zones/lab.example/records", `{"Name": "new", "Type": "A", "Records": ["192.0.2.77"]}`)
	s3 := api.serial("lab.example")
	// PowerDNS asks for IXFR and takes the two deltas. (Its bind backend
	// cannot store an incremental change, so it keeps serving the old
	// serial: a limitation of that backend, not of the transfer.)
	orbittest.Eventually(t, 30*time.Second, "PowerDNS to pull the change by IXFR", func() bool {
		return strings.Contains(pdnsLog.String(), "IXFR-in zone: 'lab.example', primary: '127.0.0.1', got 2 deltas, zone committed with serial "+u(s3))
	})
	if strings.Contains(pdnsLog.String(), "falling back to AXFR") {
		t.Errorf("PowerDNS fell back to AXFR; its log:\n%s", pdnsLog.String())
	}

	// From s1: two deltas (the delete, then the add), not the zone.
	rrs, err := transferWith("lab.example.", e.addr, dns.TypeIXFR, s1, &key)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(rrs))
	for i, r := range rrs {
		if soa, ok := r.(*dns.SOA); ok {
			got[i] = "SOA " + strconv.FormatUint(uint64(soa.Serial), 10)
		} else {
			got[i] = r.Header().Name + " " + r.(*dns.A).A.String()
		}
	}
	s2 := s1 + 1
	want := []string{"SOA " + u(s3), "SOA " + u(s1), "old.lab.example. 192.0.2.20", "SOA " + u(s2),
		"SOA " + u(s2), "SOA " + u(s3), "new.lab.example. 192.0.2.77", "SOA " + u(s3)}
	if s2+1 != s3 || !slices.Equal(got, want) {
		t.Errorf("IXFR from %d: %v, want %v", s1, got, want)
	}
	// A serial older than the journal gets the whole zone.
	rrs, err = transferWith("lab.example.", e.addr, dns.TypeIXFR, s1-5, &key)
	if err != nil || len(rrs) != 6 {
		t.Errorf("IXFR from an unknown serial: %d records, %v; want the whole zone (6)", len(rrs), err)
	}
	// IXFR needs the key as AXFR does.
	if _, err := transferWith("lab.example.", e.addr, dns.TypeIXFR, s1, nil); err == nil {
		t.Errorf("unsigned IXFR allowed")
	}
	if dig, err := exec.LookPath("dig"); err == nil {
		host, port, _ := net.SplitHostPort(e.addr)
		out, _ := exec.Command(dig, "@"+host, "-p", port, "+time=2", "+tries=1", "-y", "hmac-sha256:xfr-key:"+key.Secret,
			"lab.example", "ixfr="+u(s1)).CombinedOutput()
		if !strings.Contains(string(out), "192.0.2.77") || strings.Contains(string(out), "192.0.2.10") {
			t.Errorf("dig ixfr=%d does not show only the changes:\n%s", s1, out)
		}
	}
}

func u(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
