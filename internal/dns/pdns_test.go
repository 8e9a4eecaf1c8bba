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
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/orbittest"
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
		"--launch=bind", "--bind-config=" + filepath.Join(dir, "named.conf"),
		"--local-address=127.0.0.1", "--local-port=" + strconv.Itoa(port),
		"--secondary=yes", "--allow-notify-from=127.0.0.0/8", "--xfr-cycle-interval=3600",
		"--webserver=no", "--api=no", "--loglevel=6", "--write-pid=no",
	}
	if err := os.WriteFile(filepath.Join(dir, "pdns.conf"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var out orbittest.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
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
