package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/orbit/orbit/internal/audit"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
)

// Exit statuses of orbit audit, as of orbit job validate.
const (
	auditClean    = 0 // no errors (warnings and excepted findings allowed)
	auditFindings = 1 // errors found
	auditCannot   = 2 // could not run: bad flags, unreadable policy, agent unreachable
)

// cmdAudit runs "orbit audit": it reads what runs now through the agent's
// HTTP API, checks it against the standards (internal/audit) and prints
// a report in text, JSON or SARIF.
func cmdAudit(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "audit")
	client := addressFlags(fs, e)
	format := fs.String("format", "text", "output format: text, json or sarif")
	policyFile := fs.String("policy", "", "policy `FILE` (HCL) that configures the rules, as for orbit job validate")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: orbit audit [-format text|json|sarif] [-policy FILE] [--address ADDR] [--token TOKEN]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.Stderr, "orbit audit: %v\n", err)
		}
		return auditCannot
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.Stderr, "orbit audit: unexpected arguments %q: the audit reads the cluster through --address\n", fs.Args())
		return auditCannot
	}
	f, err := report.ParseFormat(*format)
	if err != nil {
		fmt.Fprintf(e.Stderr, "orbit audit: -%v\n", err)
		return auditCannot
	}
	cfg, err := loadPolicy(*policyFile)
	if err != nil {
		fmt.Fprintf(e.Stderr, "orbit audit: %v\n", err)
		return auditCannot
	}
	cluster, err := fetchCluster(ctx, client())
	if err != nil {
		fmt.Fprintf(e.Stderr, "orbit audit: %v\n", err)
		return auditCannot
	}
	findings := audit.Check(cluster, cfg)
	r := &report.Report{Rules: audit.Rules(), Findings: findings, Checked: len(cluster.Entries), Unit: "instance"}
	if err := report.Write(e.Stdout, f, r); err != nil {
		fmt.Fprintf(e.Stderr, "orbit audit: write report: %v\n", err)
		return auditCannot
	}
	if report.HasErrors(findings) {
		return auditFindings
	}
	return auditClean
}

// loadPolicy reads a policy file, or returns the defaults for "".
func loadPolicy(name string) (policy.Config, error) {
	if name == "" {
		return policy.DefaultConfig(), nil
	}
	src, err := os.ReadFile(name)
	if err != nil {
		return policy.Config{}, fmt.Errorf("read policy: %w", err)
	}
	cfg, err := policy.LoadConfig(name, src)
	if err != nil {
		return policy.Config{}, fmt.Errorf("policy: %w", err)
	}
	return cfg, nil
}

// auditEntryJSON is the part of a /v1/health/service entry the audit reads.
type auditEntryJSON struct {
	Node struct {
		Node    string
		Address string
	}
	Service struct {
		ID      string
		Service string
		Tags    []string
		Meta    map[string]string
		Port    int
		Address string
	}
	Checks []struct {
		Node      string
		CheckID   string
		Name      string
		Status    string
		ServiceID string
	}
}

// fetchCluster reads the agent's ACL state and every instance of every
// service with its checks.
func fetchCluster(ctx context.Context, c *apiClient) (audit.Cluster, error) {
	var self struct {
		Config struct {
			NodeName    string
			ACLsEnabled bool
		}
	}
	if _, err := c.do(ctx, "GET", "/v1/agent/self", nil, &self); err != nil {
		return audit.Cluster{}, fmt.Errorf("read agent: %w", err)
	}
	cluster := audit.Cluster{ACLsEnabled: self.Config.ACLsEnabled, Agent: self.Config.NodeName}
	var services map[string][]string
	if _, err := c.do(ctx, "GET", "/v1/catalog/services", nil, &services); err != nil {
		return audit.Cluster{}, fmt.Errorf("list services: %w", err)
	}
	for name := range services {
		var entries []auditEntryJSON
		if _, err := c.do(ctx, "GET", "/v1/health/service/"+url.PathEscape(name), nil, &entries); err != nil {
			return audit.Cluster{}, fmt.Errorf("read service %q: %w", name, err)
		}
		for i := range entries {
			if name == "consul" && entries[i].Service.ID == "consul" {
				continue // a server's own consul service: orbit's, no workload
			}
			cluster.Entries = append(cluster.Entries, toAuditEntry(&entries[i]))
		}
	}
	return cluster, nil
}

func toAuditEntry(je *auditEntryJSON) audit.Entry {
	s := je.Service
	e := audit.Entry{
		Node:     &catalog.Node{Name: je.Node.Node, Address: je.Node.Address},
		Instance: &catalog.Instance{Node: je.Node.Node, ID: s.ID, Name: s.Service, Tags: s.Tags, Meta: s.Meta, Port: s.Port, Address: s.Address},
	}
	for _, jc := range je.Checks {
		st, err := catalog.ParseStatus(jc.Status)
		if err != nil {
			st = catalog.Critical // an unknown status counts as the worst, as Consul's aggregation does
		}
		e.Checks = append(e.Checks, &catalog.Check{Node: jc.Node, CheckID: jc.CheckID, Name: jc.Name, Status: st, ServiceID: jc.ServiceID})
	}
	e.Status = catalog.Aggregate(e.Checks)
	return e
}
