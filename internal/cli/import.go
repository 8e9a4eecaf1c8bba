package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"

	capi "github.com/hashicorp/consul/api"
	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/importer"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/zone"
)

const importUsage = `usage: orbit import [-apply] KIND ARGS...

  orbit import nginx FILE...        upstreams → external services with checks, server/location → routers
  orbit import traefik FILE...      file-provider dynamic configuration (YAML, or TOML by .toml)
  orbit import hosts -zone ZONE FILE...   /etc/hosts lines → A/AAAA records of an authoritative zone
  orbit import consul ADDR          services, checks, KV and ACL policies of a running Consul
  orbit import nomad ADDR           jobs of a running Nomad, checked by the standards policy

Without -apply the plan is printed and nothing is written. With -apply the
catalog and KV part is written in one transaction; zone records in one
transaction per zone; ACL policies and jobs through orbit's APIs. What
could not be mapped is listed with its file:line either way.`

// importOptions are the flags of `orbit import`.
type importOptions struct {
	apply       bool
	domain      string
	zone        string
	sourceToken string
	policyFile  string
}

func cmdImport(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "import")
	client := addressFlags(fs, e)
	var o importOptions
	fs.BoolVar(&o.apply, "apply", false, "write the plan (default: print it only)")
	fs.StringVar(&o.domain, "domain", "lab.local", "nginx: domain of the router of an upstream no server block routes to")
	fs.StringVar(&o.zone, "zone", "", "hosts: the authoritative zone the records go to (required)")
	fs.StringVar(&o.sourceToken, "source-token", "", "consul, nomad: ACL token for the source (default $CONSUL_HTTP_TOKEN / $NOMAD_TOKEN)")
	fs.StringVar(&o.policyFile, "policy", "", "nomad: the standards policy file the jobs are checked against (default: the built-in rules)")
	fs.Usage = func() { fmt.Fprintln(e.Stderr, importUsage); fs.PrintDefaults() }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 2 {
		fs.Usage()
		return 2
	}
	kind, rest := pos[0], pos[1:]
	var p *importer.Plan
	switch kind {
	case "nginx", "traefik", "hosts":
		p, err = planFiles(kind, rest, o)
	case "consul":
		p, err = planConsul(ctx, e, rest, o, client())
	case "nomad":
		p, err = planNomad(ctx, e, rest, o)
	default:
		fmt.Fprintf(e.Stderr, "orbit import: unknown kind %q\n", kind)
		fs.Usage()
		return 2
	}
	if err != nil {
		return fail(e, err)
	}
	if err := p.Write(e.Stdout); err != nil {
		return fail(e, err)
	}
	if !o.apply {
		if !p.Empty() {
			fmt.Fprintln(e.Stdout, "\nNothing written: run again with -apply to write this plan.")
		}
		return 0
	}
	if err := applyPlan(ctx, e, client(), p); err != nil {
		return fail(e, err)
	}
	return 0
}

// planFiles plans every file of a file-based kind and merges the plans.
func planFiles(kind string, files []string, o importOptions) (*importer.Plan, error) {
	if kind == "hosts" && o.zone == "" {
		return nil, errors.New("orbit import hosts needs -zone ZONE: the authoritative zone the names go to")
	}
	out := &importer.Plan{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		var p *importer.Plan
		switch kind {
		case "nginx":
			p, err = importer.PlanNginx(f, src, importer.NginxOptions{Domain: o.domain})
		case "traefik":
			p, err = importer.PlanTraefik(f, src)
		case "hosts":
			p, err = importer.PlanHosts(f, src, o.zone)
		}
		if err != nil {
			return nil, err
		}
		out.Merge(p)
	}
	return out, nil
}

// planConsul reads a running Consul through its own client and plans its
// catalog, KV and ACL policies; dest lists this cluster's agents, which an
// import never overwrites.
func planConsul(ctx context.Context, e *Env, args []string, o importOptions, dest *apiClient) (*importer.Plan, error) {
	if len(args) != 1 {
		return nil, errors.New("usage: orbit import consul ADDR")
	}
	cfg := capi.DefaultConfig()
	cfg.Address = args[0]
	cfg.Token = first(o.sourceToken, e.Getenv("CONSUL_HTTP_TOKEN"))
	c, err := capi.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("consul %s: %w", args[0], err)
	}
	q := (&capi.QueryOptions{}).WithContext(ctx)
	src := importer.ConsulSource{Addr: args[0]}
	nodes, _, err := c.Catalog().Nodes(q)
	if err != nil {
		return nil, fmt.Errorf("consul %s: read nodes: %w", args[0], err)
	}
	for _, n := range nodes {
		src.Nodes = append(src.Nodes, &catalog.Node{Name: n.Node, ID: n.ID, Address: n.Address, Datacenter: n.Datacenter,
			TaggedAddresses: n.TaggedAddresses, Meta: n.Meta})
	}
	names, _, err := c.Catalog().Services(q)
	if err != nil {
		return nil, fmt.Errorf("consul %s: read services: %w", args[0], err)
	}
	for _, name := range sortedNames(names) {
		entries, _, err := c.Catalog().Service(name, "", q)
		if err != nil {
			return nil, fmt.Errorf("consul %s: read service %s: %w", args[0], name, err)
		}
		for _, s := range entries {
			in := &catalog.Instance{Node: s.Node, ID: s.ServiceID, Name: s.ServiceName, Address: s.ServiceAddress,
				Port: s.ServicePort, Tags: s.ServiceTags, Meta: s.ServiceMeta, EnableTagOverride: s.ServiceEnableTagOverride,
				Weights: catalog.Weights{Passing: s.ServiceWeights.Passing, Warning: s.ServiceWeights.Warning}}
			for k, a := range s.ServiceTaggedAddresses {
				if in.TaggedAddresses == nil {
					in.TaggedAddresses = map[string]catalog.ServiceAddress{}
				}
				in.TaggedAddresses[k] = catalog.ServiceAddress{Address: a.Address, Port: a.Port}
			}
			src.Services = append(src.Services, in)
		}
	}
	checks, _, err := c.Health().State(capi.HealthAny, q)
	if err != nil {
		return nil, fmt.Errorf("consul %s: read checks: %w", args[0], err)
	}
	for _, hc := range checks {
		d := hc.Definition
		src.Checks = append(src.Checks, &catalog.Check{Node: hc.Node, CheckID: hc.CheckID, Name: hc.Name, Notes: hc.Notes,
			ServiceID: hc.ServiceID, Type: hc.Type, Definition: catalog.CheckDefinition{HTTP: d.HTTP, Header: d.Header,
				Method: d.Method, Body: d.Body, TLSServerName: d.TLSServerName, TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP,
				GRPC: d.GRPC, GRPCUseTLS: d.GRPCUseTLS, Interval: d.IntervalDuration, Timeout: d.TimeoutDuration,
				DeregisterCriticalServiceAfter: d.DeregisterCriticalServiceAfterDuration}})
	}
	pairs, _, err := c.KV().List("", q)
	if err != nil {
		return nil, fmt.Errorf("consul %s: read KV: %w", args[0], err)
	}
	for _, kv := range pairs {
		src.KV = append(src.KV, importer.KV{Key: kv.Key, Flags: kv.Flags, Value: kv.Value})
	}
	var unmapped []importer.Unmapped
	policies, _, err := c.ACL().PolicyList(q)
	switch {
	case err != nil:
		unmapped = append(unmapped, importer.Unmapped{File: args[0], What: fmt.Sprintf("ACL policies not read: %v", err)})
	default:
		for _, pe := range policies {
			if pe.Name == "global-management" || pe.Name == "builtin/global-read-only" || strings.HasPrefix(pe.ID, "00000000-0000-0000-0000-0000000000") {
				continue // the built-in policies every cluster has
			}
			pol, _, err := c.ACL().PolicyRead(pe.ID, q)
			if err != nil {
				return nil, fmt.Errorf("consul %s: read ACL policy %s: %w", args[0], pe.Name, err)
			}
			src.Policies = append(src.Policies, importer.Policy{Name: pol.Name, Description: pol.Description, Rules: pol.Rules})
		}
	}
	// This cluster's agents are never overwritten; its external nodes may be.
	skip := map[string]bool{}
	var dnodes []struct {
		Node string
		Meta map[string]string
	}
	if _, err := dest.do(ctx, "GET", "/v1/catalog/nodes", nil, &dnodes); err != nil {
		return nil, fmt.Errorf("read this cluster's nodes: %w", err)
	}
	for _, n := range dnodes {
		if n.Meta[importer.MetaExternalNode] != "true" {
			skip[n.Node] = true
		}
	}
	p := importer.PlanConsul(src, skip)
	p.Unmapped = append(p.Unmapped, unmapped...)
	return p, nil
}

func sortedNames(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// planNomad reads a running Nomad's jobs through its own client and checks
// each against the standards policy.
func planNomad(ctx context.Context, e *Env, args []string, o importOptions) (*importer.Plan, error) {
	if len(args) != 1 {
		return nil, errors.New("usage: orbit import nomad ADDR")
	}
	cfg := policy.DefaultConfig()
	if o.policyFile != "" {
		src, err := os.ReadFile(o.policyFile)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		if cfg, err = policy.LoadConfig(o.policyFile, src); err != nil {
			return nil, err
		}
	}
	c, err := napi.NewClient(&napi.Config{Address: args[0], SecretID: first(o.sourceToken, e.Getenv("NOMAD_TOKEN"))})
	if err != nil {
		return nil, fmt.Errorf("nomad %s: %w", args[0], err)
	}
	q := (&napi.QueryOptions{Namespace: "*"}).WithContext(ctx)
	list, _, err := c.Jobs().List(q)
	if err != nil {
		return nil, fmt.Errorf("nomad %s: list jobs: %w", args[0], err)
	}
	p := &importer.Plan{}
	for _, stub := range list {
		if stub.ParentID != "" {
			continue // a dispatched or periodic child: its parent is imported
		}
		j, _, err := c.Jobs().Info(stub.ID, (&napi.QueryOptions{Namespace: stub.Namespace}).WithContext(ctx))
		if err != nil {
			return nil, fmt.Errorf("nomad %s: read job %s: %w", args[0], stub.ID, err)
		}
		spec, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("job %s: %w", stub.ID, err)
		}
		var w nomadwire.Job
		if err := json.Unmarshal(spec, &w); err != nil {
			p.Unmapped = append(p.Unmapped, importer.Unmapped{File: args[0], What: fmt.Sprintf("job %s: %v", stub.ID, err)})
			continue
		}
		if j.Periodic != nil || j.ParameterizedJob != nil {
			p.Unmapped = append(p.Unmapped, importer.Unmapped{File: args[0], What: fmt.Sprintf("job %s: periodic and parameterized jobs are not supported by orbit", stub.ID)})
			continue
		}
		ij := importer.Job{ID: stub.ID, Spec: spec}
		for _, f := range policy.Check(nomadwire.ToJob(&w), cfg) {
			ij.Findings = append(ij.Findings, fmt.Sprintf("%s %s: %s", f.Severity, f.Rule, f.Message))
		}
		p.Jobs = append(p.Jobs, ij)
	}
	return p, nil
}

// applyPlan writes a plan: the catalog and KV part in one transaction,
// zone records per zone, then policies and jobs through the APIs.
func applyPlan(ctx context.Context, e *Env, c *apiClient, p *importer.Plan) error {
	if len(p.Nodes)+len(p.Instances)+len(p.Checks)+len(p.KV) > 0 {
		body := importer.Plan{Nodes: p.Nodes, Instances: p.Instances, Checks: p.Checks, KV: p.KV}
		var out struct{ Revision, Nodes, Instances, Checks, KV int64 }
		if _, err := c.do(ctx, "POST", "/v1/import/apply", body, &out); err != nil {
			return fmt.Errorf("apply: %w", err)
		}
		fmt.Fprintf(e.Stdout, "\nWrote %d nodes, %d service instances, %d checks and %d KV pairs in one transaction (revision %d).\n",
			out.Nodes, out.Instances, out.Checks, out.KV, out.Revision)
	}
	for _, zr := range p.Records {
		var z zone.Zone
		if _, err := c.do(ctx, "GET", zonePath(zr.Zone), nil, &z); err != nil {
			var he *apiError
			if !errors.As(err, &he) || he.Status != http.StatusNotFound {
				return fmt.Errorf("zone %s: %w", zr.Zone, err)
			}
			if _, err := c.do(ctx, "PUT", zonePath(zr.Zone), zone.Zone{}, &z); err != nil {
				return fmt.Errorf("create zone %s: %w", zr.Zone, err)
			}
			fmt.Fprintf(e.Stdout, "Created zone %s.\n", zr.Zone)
		}
		if _, err := c.do(ctx, "PUT", zonePath(zr.Zone, "records"), zr.Sets, nil); err != nil {
			return fmt.Errorf("zone %s records: %w", zr.Zone, err)
		}
		fmt.Fprintf(e.Stdout, "Wrote %d record sets to zone %s in one transaction.\n", len(zr.Sets), zr.Zone)
	}
	if len(p.Policies) > 0 {
		if err := applyPolicies(ctx, e, c, p.Policies); err != nil {
			return err
		}
	}
	if len(p.Jobs) > 0 {
		if err := applyJobs(ctx, e, c, p.Jobs); err != nil {
			return err
		}
	}
	return nil
}

func applyPolicies(ctx context.Context, e *Env, c *apiClient, pols []importer.Policy) error {
	cfg := capi.DefaultConfig()
	cfg.Address, cfg.Token = c.base, c.token
	cc, err := capi.NewClient(cfg)
	if err != nil {
		return err
	}
	w := (&capi.WriteOptions{}).WithContext(ctx)
	for _, pol := range pols {
		existing, _, err := cc.ACL().PolicyReadByName(pol.Name, (&capi.QueryOptions{}).WithContext(ctx))
		if err == nil && existing != nil {
			existing.Rules, existing.Description = pol.Rules, pol.Description
			if _, _, err := cc.ACL().PolicyUpdate(existing, w); err != nil {
				return fmt.Errorf("update ACL policy %s: %w", pol.Name, err)
			}
			fmt.Fprintf(e.Stdout, "Updated ACL policy %s.\n", pol.Name)
			continue
		}
		if _, _, err := cc.ACL().PolicyCreate(&capi.ACLPolicy{Name: pol.Name, Description: pol.Description, Rules: pol.Rules}, w); err != nil {
			return fmt.Errorf("create ACL policy %s: %w", pol.Name, err)
		}
		fmt.Fprintf(e.Stdout, "Created ACL policy %s.\n", pol.Name)
	}
	return nil
}

func applyJobs(ctx context.Context, e *Env, c *apiClient, jobs []importer.Job) error {
	nc, err := napi.NewClient(&napi.Config{Address: c.base, SecretID: c.token})
	if err != nil {
		return err
	}
	for _, ij := range jobs {
		var j napi.Job
		if err := json.Unmarshal(ij.Spec, &j); err != nil {
			return fmt.Errorf("job %s: %w", ij.ID, err)
		}
		// A job moves without its source's bookkeeping.
		j.Status, j.StatusDescription, j.Version, j.JobModifyIndex, j.CreateIndex, j.ModifyIndex, j.SubmitTime = nil, nil, nil, nil, nil, nil, nil
		resp, _, err := nc.Jobs().Register(&j, (&napi.WriteOptions{}).WithContext(ctx))
		if err != nil {
			return fmt.Errorf("register job %s: %w", ij.ID, err)
		}
		fmt.Fprintf(e.Stdout, "Registered job %s (evaluation %s).\n", ij.ID, resp.EvalID)
		for _, w := range strings.Split(resp.Warnings, "\n") {
			if w = strings.TrimSpace(w); w != "" {
				fmt.Fprintf(e.Stdout, "    warning: %s\n", w)
			}
		}
	}
	return nil
}
