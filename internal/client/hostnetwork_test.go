package client

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestResolveHostNetworks(t *testing.T) {
	a := netip.MustParseAddr
	ifs := []iface{
		{Name: "lo", Addrs: []netip.Addr{a("127.0.0.1"), a("::1")}},
		{Name: "eth0", Addrs: []netip.Addr{a("fe80::1"), a("10.77.1.5")}},
		{Name: "eth1", Addrs: []netip.Addr{a("10.77.2.7"), a("10.77.3.9")}},
		{Name: "eth2", Addrs: []netip.Addr{a("10.77.2.8")}},
	}
	cases := []struct {
		name      string
		hn        job.HostNetwork
		addr, dev string
	}{
		{"cidr picks the first address inside", job.HostNetwork{CIDR: "10.77.2.0/24"}, "10.77.2.7", "eth1"},
		{"cidr and interface", job.HostNetwork{CIDR: "10.77.2.0/24", Interface: "eth2"}, "10.77.2.8", "eth2"},
		{"second address of an interface", job.HostNetwork{CIDR: "10.77.3.0/24"}, "10.77.3.9", "eth1"},
		{"interface alone prefers IPv4", job.HostNetwork{Interface: "eth0"}, "10.77.1.5", "eth0"},
		{"cidr not on the host", job.HostNetwork{CIDR: "192.168.40.0/24"}, "", ""},
		{"cidr not on that interface", job.HostNetwork{CIDR: "10.77.1.0/24", Interface: "eth1"}, "", ""},
		{"unknown interface", job.HostNetwork{Interface: "eth9"}, "", ""},
		{"unmasked cidr", job.HostNetwork{CIDR: "10.77.2.200/24"}, "10.77.2.7", "eth1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := resolveHostNetworks(map[string]job.HostNetwork{"n": c.hn}, ifs)["n"]
			if got.Address != c.addr || got.Device != c.dev {
				t.Fatalf("got %s on %q, want %s on %q", got.Address, got.Device, c.addr, c.dev)
			}
			if got.CIDR != c.hn.CIDR || got.Interface != c.hn.Interface {
				t.Fatalf("declaration changed: %+v", got)
			}
		})
	}
}

func TestValidateHostNetworks(t *testing.T) {
	cases := []struct {
		name string
		decl map[string]job.HostNetwork
		want string // "" for valid
	}{
		{"cidr", map[string]job.HostNetwork{"dmz": {CIDR: "10.0.0.0/24"}}, ""},
		{"interface and ports", map[string]job.HostNetwork{"dmz": {Interface: "eth1", ReservedPorts: "22,80-90"}}, ""},
		{"neither", map[string]job.HostNetwork{"dmz": {}}, "set cidr, interface, or both"},
		{"bad cidr", map[string]job.HostNetwork{"dmz": {CIDR: "10.0.0.0"}}, "is not an address prefix"},
		{"bad ports", map[string]job.HostNetwork{"dmz": {CIDR: "10.0.0.0/8", ReservedPorts: "90-80"}}, "ends before it starts"},
		{"default is reserved", map[string]job.HostNetwork{"default": {CIDR: "10.0.0.0/8"}}, "reserved for the node's address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateHostNetworks(c.decl)
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestPortsOnHostNetworks(t *testing.T) {
	p := newPortAllocator(30000, 30010, "10.77.1.5")
	p.bindable = func(string, int) bool { return true }
	nets := map[string]string{"dmz": "10.77.2.7"}
	ps, err := p.allocate("a1", []job.AllocPort{{Label: "http", HostNetwork: "dmz"}, {Label: "admin"},
		{Label: "dns", Static: 53, HostNetwork: "dmz"}, {Label: "m", HostNetwork: "default"}}, nets)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"http": "10.77.2.7", "admin": "10.77.1.5", "dns": "10.77.2.7", "m": "10.77.1.5"}
	for _, pt := range ps {
		if pt.HostIP != want[pt.Label] {
			t.Errorf("port %s on %s, want %s", pt.Label, pt.HostIP, want[pt.Label])
		}
	}
	if _, err := p.allocate("a2", []job.AllocPort{{Label: "x"}, {Label: "http", HostNetwork: "storage"}}, nets); err == nil ||
		!strings.Contains(err.Error(), `host network "storage" has no address`) {
		t.Fatalf("err %v, want the missing network named", err)
	}
	p.mu.Lock()
	for port, owner := range p.used {
		if owner == "a2" {
			t.Errorf("failed allocation still holds port %d", port)
		}
	}
	p.mu.Unlock()
}

func TestServiceAddress(t *testing.T) {
	ports := []job.AllocatedPort{{Label: "http", Value: 30001, HostIP: "10.77.2.7"}, {Label: "admin", Value: 30002, HostIP: "10.77.1.5"}}
	cases := []struct {
		port, mode, want string
	}{
		{"http", "", "10.77.2.7"},
		{"http", "auto", "10.77.2.7"},
		{"http", "host", "10.77.2.7"},
		{"admin", "", "10.77.1.5"},
		{"http", "driver", "192.0.2.1"},
		{"http", "alloc", "192.0.2.1"},
		{"8080", "", "192.0.2.1"},
		{"", "", "192.0.2.1"},
	}
	for _, c := range cases {
		if got := serviceAddress("192.0.2.1", c.port, ports, c.mode); got != c.want {
			t.Errorf("port %q mode %q: %s, want %s", c.port, c.mode, got, c.want)
		}
	}
}
