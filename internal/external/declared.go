package external

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// Declared is an agent config's `external "NAME" { ... }` block: a host
// that runs no agent, with the services the cluster health-checks on it.
//
//	external "truenas" {
//	  address = "192.168.30.6"
//	  service "nfs" {
//	    port = 2049
//	    check { tcp = "192.168.30.6:2049" }
//	  }
//	}
type Declared struct {
	Name    string `hcl:"name,label"`
	Address string `hcl:"address"`
	// Probe adds the TCP liveness probe of the node (default true).
	Probe    *bool             `hcl:"probe,optional"`
	Meta     map[string]string `hcl:"meta,optional"`
	Services []DeclaredService `hcl:"service,block"`
}

// DeclaredService is one service of an external node.
type DeclaredService struct {
	Name string `hcl:"name,label"`
	// ID defaults to the name.
	ID   string `hcl:"id,optional"`
	Port int    `hcl:"port"`
	// Address defaults to the node's.
	Address string          `hcl:"address,optional"`
	Tags    []string        `hcl:"tags,optional"`
	Checks  []DeclaredCheck `hcl:"check,block"`
}

// DeclaredCheck is a check of an external service: tcp = "host:port" or
// http = "URL" (one of them), with interval (default 10s) and timeout
// (default 2s).
type DeclaredCheck struct {
	TCP      string `hcl:"tcp,optional"`
	HTTP     string `hcl:"http,optional"`
	Interval string `hcl:"interval,optional"`
	Timeout  string `hcl:"timeout,optional"`
}

// Build turns the block into the node, instances and checks to register;
// errors name the block.
func (d *Declared) Build() (*catalog.Node, []*catalog.Instance, []*catalog.Check, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("external %q: %s", d.Name, fmt.Sprintf(format, args...))
	}
	if net.ParseIP(d.Address) == nil && d.Address == "" {
		return nil, nil, nil, fail("address is required")
	}
	meta := map[string]string{MetaExternalNode: "true", MetaExternalProbe: "true"}
	if d.Probe != nil && !*d.Probe {
		meta[MetaExternalProbe] = "false"
	}
	for k, v := range d.Meta {
		meta[k] = v
	}
	n := &catalog.Node{Name: d.Name, Address: d.Address, Meta: meta}
	if err := n.Validate(); err != nil {
		return nil, nil, nil, fail("%v", err)
	}
	var ins []*catalog.Instance
	var checks []*catalog.Check
	for _, s := range d.Services {
		id := s.ID
		if id == "" {
			id = s.Name
		}
		if s.Port < 1 || s.Port > 65535 {
			return nil, nil, nil, fail("service %q: port %d is not in 1-65535", s.Name, s.Port)
		}
		addr := s.Address
		if addr == "" {
			addr = d.Address
		}
		in := &catalog.Instance{Node: d.Name, ID: id, Name: s.Name, Address: addr, Port: s.Port, Tags: s.Tags,
			Weights: catalog.Weights{Passing: 1, Warning: 1}}
		if err := in.Validate(); err != nil {
			return nil, nil, nil, fail("service %q: %v", s.Name, err)
		}
		ins = append(ins, in)
		for i, c := range s.Checks {
			def, err := c.definition(addr, s.Port)
			if err != nil {
				return nil, nil, nil, fail("service %q check %d: %v", s.Name, i+1, err)
			}
			cid := "service:" + id
			if len(s.Checks) > 1 {
				cid += ":" + strconv.Itoa(i+1)
			}
			checks = append(checks, &catalog.Check{Node: d.Name, CheckID: cid, Name: "Service '" + s.Name + "' check",
				Status: catalog.Critical, ServiceID: id, Definition: def})
		}
	}
	return n, ins, checks, nil
}

func (c DeclaredCheck) definition(addr string, port int) (catalog.CheckDefinition, error) {
	def := catalog.CheckDefinition{TCP: c.TCP, HTTP: c.HTTP, Interval: DefaultProbeInterval, Timeout: DefaultProbeTimeout}
	switch {
	case c.TCP != "" && c.HTTP != "":
		return def, errors.New("set one of tcp and http, not both")
	case c.TCP == "" && c.HTTP == "":
		def.TCP = net.JoinHostPort(addr, strconv.Itoa(port))
	}
	for _, f := range []struct {
		name string
		s    string
		into *time.Duration
	}{{"interval", c.Interval, &def.Interval}, {"timeout", c.Timeout, &def.Timeout}} {
		if f.s == "" {
			continue
		}
		d, err := time.ParseDuration(f.s)
		if err != nil || d <= 0 {
			return def, fmt.Errorf("%s %q is not a positive duration", f.name, f.s)
		}
		*f.into = d
	}
	if err := def.Validate(); err != nil {
		return def, err
	}
	return def, nil
}

// CatalogWriter registers a node with one instance and its checks in one
// transaction. *store.Store satisfies it.
type CatalogWriter interface {
	RegisterCatalog(ctx context.Context, n *catalog.Node, in *catalog.Instance, checks []*catalog.Check) (int64, error)
}

// Catalog is what RegisterDeclared reads to skip what is already there.
type Catalog interface {
	Node(name string) (*catalog.Node, bool)
	Instance(node, id string) (*catalog.Instance, bool)
	Check(node, id string) (*catalog.Check, bool)
}

// RegisterDeclared registers the external blocks of an agent's config.
// What the catalog already holds unchanged is not rewritten, so an agent's
// restart does not reset the checks' statuses.
func RegisterDeclared(ctx context.Context, cat Catalog, w CatalogWriter, decls []Declared) error {
	for i := range decls {
		n, ins, checks, err := decls[i].Build()
		if err != nil {
			return err
		}
		if len(ins) == 0 {
			if old, ok := cat.Node(n.Name); !ok || !sameNode(old, n) {
				if _, err := w.RegisterCatalog(ctx, n, nil, nil); err != nil {
					return fmt.Errorf("external %q: %w", n.Name, err)
				}
			}
			continue
		}
		for _, in := range ins {
			var mine []*catalog.Check
			for _, c := range checks {
				if c.ServiceID == in.ID {
					mine = append(mine, c)
				}
			}
			if unchanged(cat, n, in, mine) {
				continue
			}
			if _, err := w.RegisterCatalog(ctx, n, in, mine); err != nil {
				return fmt.Errorf("external %q service %q: %w", n.Name, in.Name, err)
			}
		}
	}
	return nil
}

func sameNode(a, b *catalog.Node) bool {
	if a.Address != b.Address || len(a.Meta) != len(b.Meta) {
		return false
	}
	for k, v := range b.Meta {
		if a.Meta[k] != v {
			return false
		}
	}
	return true
}

func unchanged(cat Catalog, n *catalog.Node, in *catalog.Instance, checks []*catalog.Check) bool {
	old, ok := cat.Node(n.Name)
	if !ok || !sameNode(old, n) {
		return false
	}
	oi, ok := cat.Instance(in.Node, in.ID)
	if !ok || oi.Name != in.Name || oi.Address != in.Address || oi.Port != in.Port || !slices.Equal(oi.Tags, in.Tags) {
		return false
	}
	for _, c := range checks {
		oc, ok := cat.Check(c.Node, c.CheckID)
		if !ok || oc.Definition.TCP != c.Definition.TCP || oc.Definition.HTTP != c.Definition.HTTP ||
			oc.Definition.Interval != c.Definition.Interval || oc.Definition.Timeout != c.Definition.Timeout {
			return false
		}
	}
	return true
}
