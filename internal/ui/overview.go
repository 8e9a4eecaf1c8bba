package ui

import (
	"cmp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/audit"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
)

// overviewData is the Overview page.
type overviewData struct {
	Leader      string
	Peers       []string
	NodesUp     int
	NodesDown   []string
	Services    map[string]int // services by their worst instance
	Instances   map[string]int
	JobsDenied  bool
	Jobs        map[string]int
	JobsTotal   int
	Alerts      []alertRow
	AlertsNote  string
	Findings    []report.Finding // the first maxFindings
	FindingsNo  int
	FindingsErr int
	ByRule      []ruleCount
	ServicesNo  int
	Anomaly     chartSet // this node's anomaly rate, when detection runs
}

// maxFindings is how many findings the overview lists; the counts by rule
// cover the rest (orbit audit prints them all).
const maxFindings = 20

type ruleCount struct {
	Rule, Severity string
	N              int
}

type alertRow struct {
	Name, Chart, Status, Info string
	Value                     any
}

func (s *Server) overview(rc *reqCtx) (any, error) {
	d := &overviewData{Services: map[string]int{}, Instances: map[string]int{}, Jobs: map[string]int{}}
	_ = rc.get("/v1/status/leader", &d.Leader)
	_ = rc.get("/v1/status/peers", &d.Peers)
	for _, n := range s.deps.View.Nodes() {
		if !rc.can(acl.Node, n.Name, acl.Read) {
			continue
		}
		if s.deps.View.Alive(n.Name) {
			d.NodesUp++
		} else {
			d.NodesDown = append(d.NodesDown, n.Name)
		}
	}
	var cluster audit.Cluster
	for _, name := range s.deps.View.ServiceNames() {
		if !rc.can(acl.Service, name, acl.Read) {
			continue
		}
		d.ServicesNo++
		worst := catalog.Passing
		for _, e := range s.deps.View.Entries(name) {
			d.Instances[string(e.Status)]++
			worst = worse(worst, e.Status)
			cluster.Entries = append(cluster.Entries, audit.Entry(e))
		}
		d.Services[string(worst)]++
	}
	var self struct {
		Config struct {
			NodeName    string
			ACLsEnabled bool
		}
	}
	if err := rc.get("/v1/agent/self", &self); err == nil {
		cluster.ACLsEnabled, cluster.Agent = self.Config.ACLsEnabled, self.Config.NodeName
		d.Findings = audit.Check(cluster, policy.DefaultConfig())
	} else {
		d.Findings = audit.Check(cluster, policy.DefaultConfig())
	}
	byRule := map[ruleCount]int{}
	for _, f := range d.Findings {
		if f.Severity == report.Error {
			d.FindingsErr++
		}
		byRule[ruleCount{Rule: f.Rule, Severity: string(f.Severity)}]++
	}
	for rc, n := range byRule {
		rc.N = n
		d.ByRule = append(d.ByRule, rc)
	}
	slices.SortFunc(d.ByRule, func(a, b ruleCount) int { return cmp.Or(b.N-a.N, strings.Compare(a.Rule, b.Rule)) })
	d.FindingsNo = len(d.Findings)
	if len(d.Findings) > maxFindings {
		d.Findings = d.Findings[:maxFindings]
	}
	d.Anomaly = s.chartsAvailable(rc, "", "anomaly_detection.anomaly_rate", "Anomaly rate of "+s.deps.Node)
	var jobs []struct{ ID, Status string }
	switch err := rc.get("/v1/jobs", &jobs); {
	case err == nil:
		for _, j := range jobs {
			d.Jobs[j.Status]++
		}
		d.JobsTotal = len(jobs)
	case denied(err):
		d.JobsDenied = true
	}
	var alarms struct {
		Alarms map[string]struct {
			Name, Chart, Status, Info string
			Value                     any `json:"value"`
		} `json:"alarms"`
	}
	switch err := rc.get("/api/v1/alarms", &alarms); {
	case err == nil:
		for _, a := range alarms.Alarms {
			d.Alerts = append(d.Alerts, alertRow{Name: a.Name, Chart: a.Chart, Status: a.Status, Info: a.Info, Value: a.Value})
		}
		slices.SortFunc(d.Alerts, func(a, b alertRow) int { return strings.Compare(a.Name, b.Name) })
	case denied(err):
		d.AlertsNote = "this token may not read the agent's alerts"
	default:
		d.AlertsNote = "alerts are not available on this agent"
	}
	return d, nil
}

// worse is the worse of two statuses, as Consul aggregates them.
func worse(a, b catalog.Status) catalog.Status {
	rank := func(s catalog.Status) int {
		switch s {
		case catalog.Passing:
			return 0
		case catalog.Warning:
			return 1
		default:
			return 2
		}
	}
	if rank(b) > rank(a) {
		return b
	}
	return a
}
