package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiagnose(t *testing.T) {
	orbit := &Info{Addr: "127.0.0.1:8600", Domain: "consul.", Forwarding: true, Upstreams: []string{"127.0.0.53:53"}}
	stub := []byte("nameserver 127.0.0.53\noptions edns0 trust-ad\n")
	tests := []struct {
		name string
		in   Input
		want []string // substrings of findings, "warn:" prefixed for warnings
		not  []string
	}{
		{
			name: "resolved routes consul to orbit",
			in: Input{ResolvConf: stub, Orbit: orbit, Resolved: map[string][]byte{
				"/etc/systemd/resolved.conf.d/orbit.conf": []byte("[Resolve]\nDNS=127.0.0.1:8600\nDomains=~consul\n")}},
			want: []string{".consul names go to orbit", "systemd-resolved's stub"},
			not:  []string{"warn:"},
		},
		{
			name: "resolved sends everything to orbit which forwards to resolved",
			in: Input{ResolvConf: stub, Orbit: orbit, Resolved: map[string][]byte{
				"/etc/systemd/resolved.conf": []byte("[Resolve]\nDNS=127.0.0.1:8600\n")}},
			want: []string{"warn:LOOP: resolved sends every name to orbit"},
		},
		{
			name: "nothing routes consul",
			in:   Input{ResolvConf: []byte("nameserver 192.0.2.1\n"), Orbit: orbit},
			want: []string{"nothing on this host sends .consul names to orbit", "Domains=~consul"},
		},
		{
			name: "dnsmasq to the wrong port",
			in: Input{ResolvConf: []byte("nameserver 127.0.0.1\n"), Orbit: orbit,
				Dnsmasq: map[string][]byte{"/etc/dnsmasq.d/10-consul": []byte("server=/consul/127.0.0.1#8601\n")}},
			want: []string{"warn:/etc/dnsmasq.d/10-consul sends .consul to 127.0.0.1:8601"},
		},
		{
			name: "dnsmasq right",
			in: Input{ResolvConf: []byte("nameserver 127.0.0.1\n"), Orbit: orbit,
				Dnsmasq: map[string][]byte{"/etc/dnsmasq.d/10-consul": []byte("server=/consul/127.0.0.1#8600\n")}},
			want: []string{".consul names go to orbit (dnsmasq"},
			not:  []string{"warn:", "nothing on this host"},
		},
		{
			name: "orbit without upstreams",
			in:   Input{ResolvConf: []byte("nameserver 127.0.0.1\n"), Orbit: &Info{Addr: "0.0.0.0:53", Domain: "consul.", Forwarding: true}},
			want: []string{"warn:orbit forwards other names but has no upstream", "through orbit directly"},
		},
		{
			name: "no agent, no resolv.conf",
			in:   Input{},
			want: []string{"no orbit agent answered", "warn:/etc/resolv.conf is missing"},
		},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range Diagnose(tt.in) {
			if f.Level == "warn" {
				got = append(got, "warn:"+f.Text)
			} else {
				got = append(got, f.Text)
			}
		}
		all := strings.Join(got, "\n")
		for _, w := range tt.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: missing %q in\n%s", tt.name, w, all)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(all, n) {
				t.Errorf("%s: unexpected %q in\n%s", tt.name, n, all)
			}
		}
	}
}

func TestResolvConfNameservers(t *testing.T) {
	got := ResolvConfNameservers([]byte("# c\nsearch lab\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver bogus\noptions edns0\n"))
	if len(got) != 2 || got[0].String() != "127.0.0.53" || got[1].String() != "fe80::1" {
		t.Fatalf("nameservers = %v", got)
	}
}

func TestGather(t *testing.T) {
	root := t.TempDir()
	for p, body := range map[string]string{
		"etc/resolv.conf":                        "nameserver 127.0.0.53\n",
		"etc/systemd/resolved.conf.d/orbit.conf": "[Resolve]\nDNS=127.0.0.1:8600\nDomains=~consul\n",
		"etc/dnsmasq.d/consul":                   "server=/consul/127.0.0.1#8600\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := Gather(root)
	if string(in.ResolvConf) != "nameserver 127.0.0.53\n" || in.ResolvedUpstream != nil {
		t.Fatalf("resolv.conf = %q, upstream = %q", in.ResolvConf, in.ResolvedUpstream)
	}
	if _, ok := in.Resolved["/etc/systemd/resolved.conf.d/orbit.conf"]; !ok || len(in.Resolved) != 1 {
		t.Fatalf("resolved files = %v", in.Resolved)
	}
	if _, ok := in.Dnsmasq["/etc/dnsmasq.d/consul"]; !ok || len(in.Dnsmasq) != 1 {
		t.Fatalf("dnsmasq files = %v", in.Dnsmasq)
	}
}
