package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

func TestClientBlockFromHCL(t *testing.T) {
	cases := []struct {
		name   string
		src    string
		client bool
		nets   map[string]job.HostNetwork
		err    string // a part of the error; "" for none
	}{
		{"attribute still works", "client = true\n", true, nil, ""},
		{"block with host networks", `client {
  enabled = true
  host_network "data" {
    cidr = "192.168.11.0/24"
  }
  host_network "dmz" {
    interface      = "eth2"
    reserved_ports = "22,8000-8001"
  }
}
`, true, map[string]job.HostNetwork{"data": {CIDR: "192.168.11.0/24"}, "dmz": {Interface: "eth2", ReservedPorts: "22,8000-8001"}}, ""},
		{"block without enabled keeps the roles' default", "client {\n  host_network \"dmz\" { cidr = \"10.0.0.0/24\" }\n}\n",
			false, map[string]job.HostNetwork{"dmz": {CIDR: "10.0.0.0/24"}}, ""},
		{"neither cidr nor interface", "client {\n  host_network \"dmz\" {}\n}\n", false, nil, `agent.hcl:2:3: client block: host_network "dmz": set cidr, interface, or both`},
		{"bad cidr", "client {\n  host_network \"dmz\" { cidr = \"10.0.0.1\" }\n}\n", false, nil, `agent.hcl:2:3: client block: host_network "dmz": cidr "10.0.0.1" is not an address prefix`},
		{"bad reserved ports", "client {\n  host_network \"dmz\" {\n    cidr = \"10.0.0.0/8\"\n    reserved_ports = \"22,x\"\n  }\n}\n", false, nil, `"x" is not a port`},
		{"twice", "client {\n  host_network \"a\" { cidr = \"10.0.0.0/8\" }\n  host_network \"a\" { cidr = \"10.0.0.0/8\" }\n}\n", false, nil, `agent.hcl:3:3: client block: host_network "a" is declared twice`},
		{"default is the node's", "client {\n  host_network \"default\" { cidr = \"10.0.0.0/8\" }\n}\n", false, nil, `"default": the name is reserved`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "agent.hcl")
			src := c.src + "data_dir = \"" + dir + "\"\nserver = true\n"
			if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			var cfg Config
			if err := LoadFile(path, &cfg); err != nil {
				t.Fatal(err)
			}
			err := cfg.Defaults()
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Client != c.client {
				t.Errorf("client role %v, want %v", cfg.Client, c.client)
			}
			if len(cfg.hostNetworks) != len(c.nets) {
				t.Fatalf("host networks %v, want %v", cfg.hostNetworks, c.nets)
			}
			for name, want := range c.nets {
				if got := cfg.hostNetworks[name]; got != want {
					t.Errorf("host network %s = %+v, want %+v", name, got, want)
				}
			}
		})
	}
}
