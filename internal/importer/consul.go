package importer

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
)

// ConsulSource is what was read from a running Consul (or anything that
// speaks its API): the catalog, its checks, the KV store and the ACL
// policies. The CLI fills it with Consul's own client.
type ConsulSource struct {
	// Addr names the source in the plan's messages.
	Addr     string
	Nodes    []*catalog.Node
	Services []*catalog.Instance
	Checks   []*catalog.Check
	KV       []KV
	Policies []Policy
}

// serfHealth and Consul's own service are the source cluster's machinery.
const consulService = "consul"

// PlanConsul maps a Consul catalog into orbit: every node with services
// becomes an external node (its hosts run no orbit agent yet, so the
// cluster checks them), every service instance comes along with its tags
// and meta, and every check whose definition the catalog holds (HTTP, TCP,
// gRPC) comes along; a check whose definition lives only in the source's
// agent is replaced by a TCP check on the instance and reported. KV pairs
// and ACL policies are carried as they are. Nodes named in skip (this
// cluster's own agents) are never written.
func PlanConsul(src ConsulSource, skip map[string]bool) *Plan {
	b := newBuilder(src.Addr)
	nodes := map[string]*catalog.Node{}
	for _, n := range src.Nodes {
		nodes[n.Name] = n
	}
	checksOf := map[string][]*catalog.Check{}
	for _, c := range src.Checks {
		checksOf[c.Node+"/"+c.ServiceID] = append(checksOf[c.Node+"/"+c.ServiceID], c)
	}
	used := map[string]bool{}
	for _, in := range src.Services {
		if in.Name == consulService {
			continue
		}
		n := nodes[in.Node]
		switch {
		case n == nil:
			b.unmapped(0, "service %s on node %s: the node is not in the catalog", in.ID, in.Node)
			continue
		case skip[n.Name]:
			b.unmapped(0, "service %s on node %s: %s is an agent of this cluster; register the service with that agent instead", in.ID, n.Name, n.Name)
			continue
		}
		if !used[n.Name] {
			used[n.Name] = true
			meta := map[string]string{}
			for k, v := range n.Meta {
				if !strings.HasPrefix(k, "consul-") {
					meta[k] = v
				}
			}
			meta[MetaExternalNode], meta[MetaExternalProbe] = "true", "true"
			nn := &catalog.Node{Name: n.Name, Address: n.Address, TaggedAddresses: n.TaggedAddresses, Meta: meta}
			b.nodes[nn.Name] = nn
			b.plan.Nodes = append(b.plan.Nodes, nn)
		}
		addr := in.Address
		if addr == "" {
			addr = n.Address
		}
		inst := &catalog.Instance{Node: n.Name, ID: in.ID, Name: in.Name, Address: addr, Port: in.Port,
			Tags: append([]string(nil), in.Tags...), Meta: copyMeta(in.Meta), TaggedAddresses: in.TaggedAddresses,
			Weights: in.Weights, EnableTagOverride: in.EnableTagOverride}
		if inst.Weights.Passing == 0 {
			inst.Weights = catalog.Weights{Passing: 1, Warning: 1}
		}
		b.plan.Instances = append(b.plan.Instances, inst)
		b.consulChecks(inst, checksOf[in.Node+"/"+in.ID])
	}
	for _, c := range src.Checks {
		if c.ServiceID == "" && c.CheckID != catalog.SerfCheckID && used[c.Node] {
			if def := c.Definition; def.HTTP != "" || def.TCP != "" || def.GRPC != "" {
				b.plan.Checks = append(b.plan.Checks, &catalog.Check{Node: c.Node, CheckID: c.CheckID, Name: c.Name,
					Notes: c.Notes, Status: catalog.Critical, Definition: def})
			} else {
				b.unmapped(0, "node check %s on %s: its definition is not in the catalog (node liveness is probed over TCP instead)", c.CheckID, c.Node)
			}
		}
	}
	b.plan.KV = append(b.plan.KV, src.KV...)
	b.plan.Policies = append(b.plan.Policies, src.Policies...)
	sort.SliceStable(b.plan.Unmapped, func(i, j int) bool { return b.plan.Unmapped[i].What < b.plan.Unmapped[j].What })
	return b.finish()
}

func (b *builder) consulChecks(in *catalog.Instance, checks []*catalog.Check) {
	mapped := 0
	for _, c := range checks {
		def := c.Definition
		switch {
		case def.HTTP != "" || def.TCP != "" || def.GRPC != "":
			def.Args, def.TTL = nil, 0
			b.plan.Checks = append(b.plan.Checks, &catalog.Check{Node: in.Node, CheckID: c.CheckID, Name: c.Name,
				Notes: c.Notes, Status: catalog.Critical, ServiceID: in.ID, Definition: def})
			mapped++
		default:
			b.unmapped(0, "check %s of %s on %s: its definition (%s) is held by the source's agent, not its catalog", c.CheckID, in.ID, in.Node, orUnknown(c.Type))
		}
	}
	if mapped == 0 && in.Port > 0 {
		def := catalog.CheckDefinition{TCP: net.JoinHostPort(in.Address, strconv.Itoa(in.Port)), Interval: DefaultInterval, Timeout: DefaultTimeout}
		b.plan.Checks = append(b.plan.Checks, &catalog.Check{Node: in.Node, CheckID: "service:" + in.ID,
			Name: "Service '" + in.Name + "' check", Status: catalog.Critical, ServiceID: in.ID, Definition: def})
		b.unmapped(0, "service %s on %s: no check definition to carry; orbit checks it over TCP on %s", in.ID, in.Node, def.TCP)
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown type"
	}
	return s
}

func copyMeta(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// JobFinding renders one standards finding of an imported job.
func JobFinding(rule, severity, message string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s %s (line %d of the job's HCL): %s", severity, rule, line, message)
	}
	return fmt.Sprintf("%s %s: %s", severity, rule, message)
}
