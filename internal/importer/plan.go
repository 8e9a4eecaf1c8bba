package importer

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/zone"
)

// Node meta keys of Consul ESM: a node carrying MetaExternalNode "true" is
// health-checked by the cluster; with MetaExternalProbe "true" its liveness
// is probed too (orbit probes over TCP, not ICMP).
const (
	MetaExternalNode  = "external-node"
	MetaExternalProbe = "external-probe"
	// MetaImportSource records where an instance came from (file:line).
	MetaImportSource = "orbit-import-source"
)

// Check defaults for imported checks, the standard's interval.
const (
	DefaultInterval = 10 * time.Second
	DefaultTimeout  = 2 * time.Second
)

// Plan is what an import would write. Nodes, Instances, Checks and KV are
// written in one etcd transaction; Records go to authoritative zones;
// Policies and Jobs are written through orbit's ACL and job APIs.
type Plan struct {
	Nodes     []*catalog.Node     `json:"nodes,omitempty"`
	Instances []*catalog.Instance `json:"instances,omitempty"`
	Checks    []*catalog.Check    `json:"checks,omitempty"`
	KV        []KV                `json:"kv,omitempty"`
	Records   []ZoneRecords       `json:"records,omitempty"`
	Policies  []Policy            `json:"policies,omitempty"`
	Jobs      []Job               `json:"jobs,omitempty"`
	// Unmapped lists what the sources hold that the plan does not carry.
	Unmapped []Unmapped `json:"unmapped,omitempty"`
}

// KV is one key of Consul's KV store.
type KV struct {
	Key   string `json:"key"`
	Flags uint64 `json:"flags,omitempty"`
	Value []byte `json:"value"`
}

// ZoneRecords are record sets for one authoritative zone.
type ZoneRecords struct {
	Zone string       `json:"zone"`
	Sets []zone.RRSet `json:"sets"`
}

// Policy is an ACL policy read from Consul.
type Policy struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rules       string `json:"rules"`
}

// Job is a Nomad job read from a running Nomad, as its JSON spec, with the
// standards policy's findings.
type Job struct {
	ID       string   `json:"id"`
	Spec     []byte   `json:"spec"`
	Findings []string `json:"findings,omitempty"`
}

// Unmapped is one thing of a source that the plan does not carry.
type Unmapped struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	What string `json:"what"`
}

// String renders "file:line: what".
func (u Unmapped) String() string {
	switch {
	case u.File != "" && u.Line > 0:
		return fmt.Sprintf("%s:%d: %s", u.File, u.Line, u.What)
	case u.File != "":
		return u.File + ": " + u.What
	}
	return u.What
}

// Merge appends other's contents to p. A node already in p keeps its
// record; instances and checks with a node and id already in p replace
// nothing and are reported as duplicates.
func (p *Plan) Merge(other *Plan) {
	nodes := map[string]bool{}
	for _, n := range p.Nodes {
		nodes[n.Name] = true
	}
	for _, n := range other.Nodes {
		if !nodes[n.Name] {
			nodes[n.Name] = true
			p.Nodes = append(p.Nodes, n)
		}
	}
	seen := map[string]bool{}
	for _, in := range p.Instances {
		seen[in.Node+"/"+in.ID] = true
	}
	for _, in := range other.Instances {
		if seen[in.Node+"/"+in.ID] {
			p.Unmapped = append(p.Unmapped, Unmapped{File: in.Meta[MetaImportSource],
				What: fmt.Sprintf("service instance %s on node %s is defined twice; the first one is kept", in.ID, in.Node)})
			continue
		}
		seen[in.Node+"/"+in.ID] = true
		p.Instances = append(p.Instances, in)
	}
	checks := map[string]bool{}
	for _, c := range p.Checks {
		checks[c.Node+"/"+c.CheckID] = true
	}
	for _, c := range other.Checks {
		if !checks[c.Node+"/"+c.CheckID] {
			checks[c.Node+"/"+c.CheckID] = true
			p.Checks = append(p.Checks, c)
		}
	}
	p.KV = append(p.KV, other.KV...)
	p.Records = append(p.Records, other.Records...)
	p.Policies = append(p.Policies, other.Policies...)
	p.Jobs = append(p.Jobs, other.Jobs...)
	p.Unmapped = append(p.Unmapped, other.Unmapped...)
}

// Empty reports whether the plan writes nothing.
func (p *Plan) Empty() bool {
	return len(p.Nodes)+len(p.Instances)+len(p.Checks)+len(p.KV)+len(p.Records)+len(p.Policies)+len(p.Jobs) == 0
}

// Write renders the plan for a person: what would be written, then what
// could not be mapped.
func (p *Plan) Write(w io.Writer) error {
	var b strings.Builder
	for _, n := range p.Nodes {
		fmt.Fprintf(&b, "+ node %s (%s)", n.Name, n.Address)
		if n.Meta[MetaExternalNode] == "true" {
			b.WriteString(" external")
			if n.Meta[MetaExternalProbe] == "true" {
				b.WriteString(", probed")
			}
		}
		b.WriteString("\n")
		for _, in := range p.Instances {
			if in.Node != n.Name {
				continue
			}
			fmt.Fprintf(&b, "    + service %s (id %s) %s\n", in.Name, in.ID, net.JoinHostPort(in.Address, strconv.Itoa(in.Port)))
			for _, t := range in.Tags {
				fmt.Fprintf(&b, "        tag %s\n", t)
			}
			for _, c := range p.Checks {
				if c.Node == n.Name && c.ServiceID == in.ID {
					fmt.Fprintf(&b, "        check %s: %s\n", c.CheckID, describeCheck(c.Definition))
				}
			}
		}
		for _, c := range p.Checks {
			if c.Node == n.Name && c.ServiceID == "" {
				fmt.Fprintf(&b, "    + node check %s: %s\n", c.CheckID, describeCheck(c.Definition))
			}
		}
	}
	for _, kv := range p.KV {
		fmt.Fprintf(&b, "+ kv %s (%d bytes)\n", kv.Key, len(kv.Value))
	}
	for _, zr := range p.Records {
		for _, s := range zr.Sets {
			fmt.Fprintf(&b, "+ zone %s: %s %s %s\n", zr.Zone, s.Name, s.Type, strings.Join(s.Records, ", "))
		}
	}
	for _, pol := range p.Policies {
		fmt.Fprintf(&b, "+ acl policy %s\n", pol.Name)
	}
	for _, j := range p.Jobs {
		fmt.Fprintf(&b, "+ job %s\n", j.ID)
		for _, f := range j.Findings {
			fmt.Fprintf(&b, "    finding %s\n", f)
		}
	}
	if len(p.Unmapped) > 0 {
		fmt.Fprintf(&b, "\nNot mapped (%d):\n", len(p.Unmapped))
		for _, u := range p.Unmapped {
			fmt.Fprintf(&b, "  %s\n", u)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func describeCheck(d catalog.CheckDefinition) string {
	switch {
	case d.HTTP != "":
		return fmt.Sprintf("http %s every %s", d.HTTP, d.Interval)
	case d.TCP != "":
		return fmt.Sprintf("tcp %s every %s", d.TCP, d.Interval)
	case d.GRPC != "":
		return fmt.Sprintf("grpc %s every %s", d.GRPC, d.Interval)
	}
	return "status only"
}

// builder accumulates a plan from one source file.
type builder struct {
	file string
	plan Plan
	// nodes by name, instances by node/id
	nodes map[string]*catalog.Node
	insts map[string]*catalog.Instance
}

func newBuilder(file string) *builder {
	return &builder{file: file, nodes: map[string]*catalog.Node{}, insts: map[string]*catalog.Instance{}}
}

func (b *builder) unmapped(line int, format string, args ...any) {
	b.plan.Unmapped = append(b.plan.Unmapped, Unmapped{File: b.file, Line: line, What: fmt.Sprintf(format, args...)})
}

// ExternalNodeName names the external node of a host: its name when it is
// one, else "ext-" and the address with dots and colons as dashes.
func ExternalNodeName(host string) string {
	if net.ParseIP(host) == nil {
		return strings.ToLower(host)
	}
	return "ext-" + strings.NewReplacer(".", "-", ":", "-").Replace(host)
}

// node returns the external node for host, adding it on first use.
func (b *builder) node(host string) *catalog.Node {
	name := ExternalNodeName(host)
	if n, ok := b.nodes[name]; ok {
		return n
	}
	n := &catalog.Node{Name: name, Address: host, Datacenter: "",
		Meta: map[string]string{MetaExternalNode: "true", MetaExternalProbe: "true"}}
	b.nodes[name] = n
	b.plan.Nodes = append(b.plan.Nodes, n)
	return n
}

// instance adds the instance of service at host:port with a check (TCP,
// or HTTP on httpPath when given), or returns the one already there.
func (b *builder) instance(service, host string, port int, line int, httpPath string) *catalog.Instance {
	n := b.node(host)
	id := fmt.Sprintf("%s-%s-%d", service, strings.TrimPrefix(n.Name, "ext-"), port)
	if in, ok := b.insts[n.Name+"/"+id]; ok {
		return in
	}
	in := &catalog.Instance{Node: n.Name, ID: id, Name: service, Address: host, Port: port,
		Weights: catalog.Weights{Passing: 1, Warning: 1},
		Meta:    map[string]string{MetaImportSource: fmt.Sprintf("%s:%d", b.file, line)}}
	b.insts[n.Name+"/"+id] = in
	b.plan.Instances = append(b.plan.Instances, in)
	def := catalog.CheckDefinition{Interval: DefaultInterval, Timeout: DefaultTimeout}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if httpPath != "" {
		def.HTTP = "http://" + addr + httpPath
	} else {
		def.TCP = addr
	}
	b.plan.Checks = append(b.plan.Checks, &catalog.Check{Node: n.Name, CheckID: "service:" + id,
		Name: "Service '" + service + "' check", Status: catalog.Critical, ServiceID: id, Definition: def})
	return in
}

// addTags adds tags to every instance of service, each checked with the
// edge's tag reader; a tag it refuses is reported, not added.
func (b *builder) addTags(service string, line int, tags ...string) {
	for _, t := range tags {
		if err := routing.CheckTag(t); err != nil {
			b.unmapped(line, "%v", err)
			continue
		}
		for _, in := range b.plan.Instances {
			if in.Name == service && !contains(in.Tags, t) {
				in.Tags = append(in.Tags, t)
			}
		}
	}
}

func (b *builder) finish() *Plan {
	for _, in := range b.plan.Instances {
		sort.Strings(in.Tags)
	}
	return &b.plan
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// routerName turns a name into one Traefik accepts in a tag.
func routerName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	return strings.Trim(b.String(), "-")
}
