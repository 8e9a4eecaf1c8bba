package external

import (
	"fmt"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
)

func TestOwner(t *testing.T) {
	cases := []struct {
		name   string
		key    string
		agents []string
		want   string
	}{
		{"no agents", "nas/service:nfs", nil, ""},
		{"one agent", "nas/service:nfs", []string{"a"}, "a"},
		{"order does not matter", "nas/service:nfs", []string{"c", "a", "b"}, Owner("nas/service:nfs", []string{"a", "b", "c"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Owner(tc.key, tc.agents); got != tc.want {
				t.Fatalf("Owner(%q, %v) = %q, want %q", tc.key, tc.agents, got, tc.want)
			}
		})
	}
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = CheckKey(fmt.Sprintf("ext-192-168-30-%d", i%250), fmt.Sprintf("service:svc-%d", i))
	}
	return out
}

// Checks spread over the agents: with 3 agents and 3000 checks each agent
// owns between 800 and 1200 (the hash is fixed, so this is deterministic).
func TestAssignSpreads(t *testing.T) {
	agents := []string{"node-a", "node-b", "node-c"}
	count := map[string]int{}
	for _, owner := range Assign(keys(3000), agents) {
		count[owner]++
	}
	for _, a := range agents {
		if count[a] < 800 || count[a] > 1200 {
			t.Fatalf("uneven spread: %v", count)
		}
	}
}

// When an agent dies only its checks move, each to a surviving agent;
// when it comes back it takes exactly those checks back.
func TestAssignMovesOnlyTheDeadAgentsChecks(t *testing.T) {
	ks := keys(1000)
	all := []string{"node-a", "node-b", "node-c"}
	before := Assign(ks, all)
	after := Assign(ks, []string{"node-a", "node-c"})
	moved := 0
	for _, k := range ks {
		switch {
		case before[k] == "node-b":
			moved++
			if after[k] == "node-b" || after[k] == "" {
				t.Fatalf("%s stayed on the dead agent", k)
			}
		case before[k] != after[k]:
			t.Fatalf("%s moved from live %s to %s", k, before[k], after[k])
		}
	}
	if moved == 0 {
		t.Fatal("node-b owned nothing")
	}
	back := Assign(ks, all)
	for _, k := range ks {
		if back[k] != before[k] {
			t.Fatalf("%s: %s before, %s after the agent returned", k, before[k], back[k])
		}
	}
}

func TestProbeCheck(t *testing.T) {
	n := &catalog.Node{Name: "nas", Address: "192.168.30.6"}
	cases := []struct {
		name string
		ins  []*catalog.Instance
		want string
	}{
		{"no instances", nil, ""},
		{"no ports", []*catalog.Instance{{ID: "a"}}, ""},
		{"lowest port on the node", []*catalog.Instance{{ID: "web", Port: 443}, {ID: "nfs", Port: 2049}, {ID: "ssh", Port: 22, Address: "192.168.30.6"}}, "192.168.30.6:22"},
		{"node address preferred", []*catalog.Instance{{ID: "vip", Port: 80, Address: "192.168.30.50"}, {ID: "nfs", Port: 2049}}, "192.168.30.6:2049"},
		{"else the instance's own address", []*catalog.Instance{{ID: "vip", Port: 8443, Address: "192.168.30.50"}, {ID: "vip2", Port: 80, Address: "192.168.30.51"}}, "192.168.30.51:80"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ProbeCheck(n, tc.ins)
			switch {
			case tc.want == "" && c != nil:
				t.Fatalf("probe = %+v, want none", c.Definition)
			case tc.want != "" && (c == nil || c.Definition.TCP != tc.want || c.CheckID != ProbeCheckID):
				t.Fatalf("probe = %+v, want tcp %s", c, tc.want)
			}
		})
	}
}
