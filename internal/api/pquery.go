package api

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

// Prepared queries (/v1/query): stored service lookups, as Consul's
// PreparedQueryDefinition. This file is the pure half — the definition,
// its validation, the rendering of templates and the choice of the
// instances an execution answers; pqueryhttp.go stores and serves them.
//
// orbit has one datacenter: a query's Failover options are kept and
// answered back, and an execution that finds no healthy instance answers
// an empty list with Failovers 0, as a Consul datacenter without a path
// to the others does.

// pqTemplateNamePrefix is the only template type Consul has.
const pqTemplateNamePrefix = "name_prefix_match"

type pqFailoverTarget struct {
	Peer       string
	Datacenter string
	Partition  string `json:",omitempty"`
	Namespace  string `json:",omitempty"`
}

type pqFailover struct {
	NearestN    int
	Datacenters []string
	Targets     []pqFailoverTarget `json:",omitempty"`
}

type pqService struct {
	Service        string
	SamenessGroup  string `json:",omitempty"`
	Namespace      string `json:",omitempty"`
	Partition      string `json:",omitempty"`
	Near           string
	Failover       pqFailover
	IgnoreCheckIDs []string
	OnlyPassing    bool
	Tags           []string
	NodeMeta       map[string]string
	ServiceMeta    map[string]string
	Connect        bool
}

type pqDNS struct {
	TTL string
}

type pqTemplate struct {
	Type            string
	Regexp          string
	RemoveEmptyTags bool
}

// pqDef is Consul's PreparedQueryDefinition; the indexes are the store's
// revisions and are not stored.
type pqDef struct {
	ID       string
	Name     string
	Session  string
	Token    string
	Service  pqService
	DNS      pqDNS
	Template pqTemplate

	CreateIndex uint64 `json:",omitempty"`
	ModifyIndex uint64 `json:",omitempty"`
}

// validate is Consul's check of a definition before it is stored.
func (d *pqDef) validate() error {
	if d.Service.Service == "" {
		return httpkit.BadRequest("Must provide a Service name to query")
	}
	if strings.ContainsAny(d.Name, "/\x00") {
		return httpkit.BadRequest("invalid query name %q: no '/'", d.Name)
	}
	if isUUID(d.Name) {
		return httpkit.BadRequest("Query name %q cannot be a UUID", d.Name)
	}
	if n := d.Service.Failover.NearestN; n < 0 {
		return httpkit.BadRequest("Bad NearestN '%d', must be >= 0", n)
	}
	if d.Service.Failover.NearestN > 0 && len(d.Service.Failover.Targets) > 0 {
		return httpkit.BadRequest("Targets cannot be populated with NearestN")
	}
	if len(d.Service.Failover.Datacenters) > 0 && len(d.Service.Failover.Targets) > 0 {
		return httpkit.BadRequest("Targets cannot be populated with Datacenters")
	}
	if ttl := d.DNS.TTL; ttl != "" {
		v, err := time.ParseDuration(ttl)
		if err != nil {
			return httpkit.BadRequest("Bad DNS TTL '%s': %v", ttl, err)
		}
		if v < 0 {
			return httpkit.BadRequest("DNS TTL '%d', must be >=0", v)
		}
	}
	switch d.Template.Type {
	case "", pqTemplateNamePrefix:
	default:
		return httpkit.BadRequest("Bad Template.Type '%s': want %q", d.Template.Type, pqTemplateNamePrefix)
	}
	if d.Template.Type == "" && d.Template.Regexp != "" {
		return httpkit.BadRequest("Template.Regexp needs Template.Type %q", pqTemplateNamePrefix)
	}
	if _, err := regexp.Compile(d.Template.Regexp); err != nil {
		return httpkit.BadRequest("Bad Template.Regexp: %v", err)
	}
	if d.Template.Type != "" {
		// Rendering with a sample name finds unknown variables now, not at
		// the first execution.
		if _, err := d.render(d.Name); err != nil {
			return err
		}
	}
	return nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !strings.ContainsRune("0123456789abcdefABCDEF", c):
			return false
		}
	}
	return true
}

// pqResolve picks the query idOrName names among defs, as Consul: an ID,
// else a query of that exact name, else the template whose name is the
// longest prefix of it (a template with an empty name matches every name).
func pqResolve(defs []*pqDef, idOrName string) *pqDef {
	for _, d := range defs {
		if d.ID == idOrName {
			return d
		}
	}
	for _, d := range defs {
		if d.Name == idOrName && d.Name != "" {
			return d
		}
	}
	var best *pqDef
	for _, d := range defs {
		if d.Template.Type != "" && strings.HasPrefix(idOrName, d.Name) && (best == nil || len(d.Name) > len(best.Name)) {
			best = d
		}
	}
	return best
}

// render is the query as executed under name: for a template, each
// ${name.full}, ${name.prefix}, ${name.suffix}, ${match(N)} and
// ${agent.segment} in the service part replaced, and the tags left empty
// removed when Template.RemoveEmptyTags; any other query as it is.
func (d *pqDef) render(name string) (*pqDef, error) {
	if d.Template.Type == "" {
		return d, nil
	}
	var matches []string
	if d.Template.Regexp != "" {
		re, err := regexp.Compile(d.Template.Regexp)
		if err != nil {
			return nil, httpkit.BadRequest("Bad Template.Regexp: %v", err)
		}
		matches = re.FindStringSubmatch(name)
	}
	vars := func(expr string) (string, error) {
		switch expr {
		case "name.full":
			return name, nil
		case "name.prefix":
			return d.Name, nil
		case "name.suffix":
			return strings.TrimPrefix(name, d.Name), nil
		case "agent.segment":
			return "", nil
		}
		if arg, ok := strings.CutPrefix(expr, "match("); ok && strings.HasSuffix(arg, ")") {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(arg, ")")))
			if err != nil || n < 0 {
				return "", httpkit.BadRequest("Bad template %q: match takes a group number", "${"+expr+"}")
			}
			if n < len(matches) {
				return matches[n], nil
			}
			return "", nil
		}
		return "", httpkit.BadRequest("Bad template %q: unknown variable (want name.full, name.prefix, name.suffix, match(N) or agent.segment)", "${"+expr+"}")
	}
	var firstErr error
	sub := func(s string) string {
		out, err := interpolate(s, vars)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return out
	}
	out := *d
	sv := &out.Service
	sv.Service = sub(sv.Service)
	sv.Near = sub(sv.Near)
	sv.Tags = mapStrings(sv.Tags, sub)
	sv.IgnoreCheckIDs = mapStrings(sv.IgnoreCheckIDs, sub)
	sv.Failover.Datacenters = mapStrings(sv.Failover.Datacenters, sub)
	sv.NodeMeta = mapValues(sv.NodeMeta, sub)
	sv.ServiceMeta = mapValues(sv.ServiceMeta, sub)
	if firstErr != nil {
		return nil, firstErr
	}
	if d.Template.RemoveEmptyTags && sv.Tags != nil {
		sv.Tags = slices.DeleteFunc(sv.Tags, func(t string) bool { return t == "" })
	}
	return &out, nil
}

// interpolate replaces each ${expr} in s with vars(expr).
func interpolate(s string, vars func(string) (string, error)) (string, error) {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return "", httpkit.BadRequest("Bad template %q: unterminated ${", s)
		}
		v, err := vars(strings.TrimSpace(s[i+2 : i+j]))
		if err != nil {
			return "", err
		}
		b.WriteString(s[:i])
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

func mapStrings(in []string, f func(string) string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

func mapValues(in map[string]string, f func(string) string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = f(v)
	}
	return out
}

// pqSelect is what an execution answers from the instances of the
// service: those whose node and service metadata match, that carry every
// tag asked for and none asked against ("!tag"; tags compare without
// case, as Consul), and that are healthy — no critical check, nor a
// warning with OnlyPassing, the checks in IgnoreCheckIDs aside. Instances
// on the near node come first; limit > 0 keeps the first limit.
func pqSelect(q *pqService, entries []view.Entry, near string, limit int) []view.Entry {
	out := make([]view.Entry, 0, len(entries))
	for _, e := range entries {
		if pqKeeps(q, e) {
			out = append(out, e)
		}
	}
	if near != "" {
		slices.SortStableFunc(out, func(a, b view.Entry) int {
			return boolRank(a.Node.Name != near) - boolRank(b.Node.Name != near)
		})
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pqKeeps(q *pqService, e view.Entry) bool {
	if !metaMatches(e.Node.Meta, q.NodeMeta) || !metaMatches(e.Instance.Meta, q.ServiceMeta) {
		return false
	}
	for _, t := range q.Tags {
		want, neg := strings.CutPrefix(t, "!")
		has := slices.ContainsFunc(e.Instance.Tags, func(x string) bool { return strings.EqualFold(x, want) })
		if has == neg {
			return false
		}
	}
	for _, c := range e.Checks {
		if slices.Contains(q.IgnoreCheckIDs, c.CheckID) {
			continue
		}
		if c.Status == catalog.Critical || c.Status == catalog.Maintenance || (q.OnlyPassing && c.Status != catalog.Passing) {
			return false
		}
	}
	return true
}

// pqExecuteJSON is Consul's PreparedQueryExecuteResponse.
type pqExecuteJSON struct {
	Service    string
	Nodes      []*serviceEntryJSON
	DNS        pqDNS
	Datacenter string
	Failovers  int
}

// pqExplainJSON is Consul's PreparedQueryExplainResponse.
type pqExplainJSON struct {
	Query *pqDef
}

func (d *pqDef) String() string { return fmt.Sprintf("query %q (%s)", d.Name, d.ID) }
