package ui

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

type jobRow struct {
	ID, Name, Type, Status, Namespace string
	Priority                          int
	Version                           uint64
	SubmitTime                        int64
}

type jobsData struct {
	Cols     []column
	Rows     []jobRow
	Pager    pager
	CanWrite bool
}

func (s *Server) jobs(rc *reqCtx) (any, error) {
	switch id := rc.arg(0); id {
	case "":
	case "-run":
		return &jobRunData{CanWrite: rc.can(acl.Namespace, "default", "submit-job")}, nil
	default:
		return s.job(rc, id)
	}
	var rows []jobRow
	if err := rc.get("/v1/jobs", &rows); err != nil {
		return nil, publicErr(err)
	}
	l := parseList(rc.q, "id")
	kept := rows[:0]
	for _, j := range rows {
		if l.match(j.ID, j.Name, j.Type, j.Status) {
			kept = append(kept, j)
		}
	}
	sortBy(l, kept, map[string]func(a, b jobRow) int{
		"status":   func(a, b jobRow) int { return strings.Compare(a.Status, b.Status) },
		"type":     func(a, b jobRow) int { return strings.Compare(a.Type, b.Type) },
		"priority": func(a, b jobRow) int { return cmp.Compare(a.Priority, b.Priority) },
	}, func(a, b jobRow) int { return strings.Compare(a.ID, b.ID) })
	d := &jobsData{CanWrite: rc.can(acl.Namespace, "default", "submit-job"),
		Cols: l.columns([]string{"Job", "Type", "Status", "Priority", "Version", "Submitted"}, []string{"id", "type", "status", "priority", "", ""})}
	d.Rows, d.Pager = paginate(l, kept)
	return d, nil
}

type jobRunData struct{ CanWrite bool }

func (*jobRunData) tplName() string { return "jobrun" }

type allocRow struct {
	ID, Name, NodeName, NodeID, TaskGroup, ClientStatus, DesiredStatus, JobID string
	JobVersion                                                                uint64
	CreateTime, ModifyTime                                                    int64
}

type evalRow struct {
	ID, Status, TriggeredBy, Type, StatusDescription string
	CreateTime                                       int64
}

type deployGroup struct {
	DesiredTotal, PlacedAllocs, HealthyAllocs, UnhealthyAllocs, DesiredCanaries int
	PlacedCanaries                                                              []string
	Promoted                                                                    bool
}

type deployment struct {
	ID, Status, StatusDescription string
	JobVersion                    uint64
	TaskGroups                    map[string]deployGroup
}

type jobVersion struct {
	Version    uint64
	Stable     bool
	SubmitTime int64
	TaskGroups []struct {
		Name  string
		Count int
	}
}

type jobData struct {
	Job struct {
		ID, Name, Type, Status, Namespace string
		Version                           uint64
		Priority                          int
		Stop                              bool
		TaskGroups                        []struct {
			Name  string
			Count int
		}
	}
	Versions  []jobVersion
	Diffs     []versionDiff // newest first
	Allocs    []allocRow
	Evals     []evalRow
	Deploy    *deployment
	CanWrite  bool
	CanRevert bool
	Canaries  bool // the deployment waits for canaries to be promoted
}

func (*jobData) tplName() string { return "job" }

func (s *Server) job(rc *reqCtx, id string) (any, error) {
	d := &jobData{}
	p := "/v1/job/" + escapeKey(id)
	if err := rc.get(p, &d.Job); err != nil {
		return nil, publicErr(err)
	}
	var vs struct{ Versions []json.RawMessage }
	if err := rc.get(p+"/versions", &vs); err == nil {
		d.Versions, d.Diffs = decodeVersions(vs.Versions)
	}
	_ = rc.get(p+"/allocations", &d.Allocs)
	_ = rc.get(p+"/evaluations", &d.Evals)
	var dep deployment
	if err := rc.get(p+"/deployment", &dep); err == nil && dep.ID != "" {
		d.Deploy = &dep
		for _, g := range dep.TaskGroups {
			d.Canaries = d.Canaries || (g.DesiredCanaries > 0 && !g.Promoted)
		}
	}
	ns := d.Job.Namespace
	if ns == "" {
		ns = "default"
	}
	d.CanWrite = rc.can(acl.Namespace, ns, "submit-job")
	d.CanRevert = d.CanWrite && len(d.Versions) > 1
	return d, nil
}

type allocsData struct {
	Cols  []column
	Rows  []allocRow
	Pager pager
}

func (s *Server) allocations(rc *reqCtx) (any, error) {
	if id := rc.arg(0); id != "" {
		return s.allocation(rc, id)
	}
	var rows []allocRow
	if err := rc.get("/v1/allocations", &rows); err != nil {
		return nil, publicErr(err)
	}
	l := parseList(rc.q, "created")
	kept := rows[:0]
	for _, a := range rows {
		if l.match(a.ID, a.Name, a.NodeName, a.ClientStatus, a.JobID) {
			kept = append(kept, a)
		}
	}
	sortBy(l, kept, map[string]func(a, b allocRow) int{
		"created": func(a, b allocRow) int { return cmp.Compare(b.CreateTime, a.CreateTime) },
		"status":  func(a, b allocRow) int { return strings.Compare(a.ClientStatus, b.ClientStatus) },
		"job":     func(a, b allocRow) int { return strings.Compare(a.JobID, b.JobID) },
		"node":    func(a, b allocRow) int { return strings.Compare(a.NodeName, b.NodeName) },
	}, func(a, b allocRow) int { return strings.Compare(a.ID, b.ID) })
	d := &allocsData{Cols: l.columns([]string{"Allocation", "Job", "Group", "Node", "Status", "Desired", "Created"},
		[]string{"", "job", "", "node", "status", "", "created"})}
	d.Rows, d.Pager = paginate(l, kept)
	return d, nil
}

type taskEvent struct {
	Type, DisplayMessage string
	Time                 int64
}

type taskState struct {
	State      string
	Failed     bool
	Restarts   int
	StartedAt  string
	FinishedAt string
	Events     []taskEvent
}

type allocData struct {
	Alloc struct {
		allocRow
		TaskStates map[string]taskState
	}
	Tasks  []string
	Host   string
	Charts []chartRef // the tasks' resource charts on the allocation's node
}

func (*allocData) tplName() string { return "allocation" }

func (s *Server) allocation(rc *reqCtx, id string) (any, error) {
	d := &allocData{}
	if err := rc.get("/v1/allocation/"+escapeKey(id), &d.Alloc); err != nil {
		return nil, publicErr(err)
	}
	if d.Alloc.ID == "" {
		return nil, httpkit.Errorf(http.StatusNotFound, "no allocation %q", id)
	}
	for t := range d.Alloc.TaskStates {
		d.Tasks = append(d.Tasks, t)
	}
	slices.Sort(d.Tasks)
	if d.Alloc.NodeName != "" && d.Alloc.NodeName != s.deps.Node {
		d.Host = "/host/" + d.Alloc.NodeName
	}
	d.Charts = allocCharts(s.chartList(rc, d.Host), d.Alloc.ID)
	return d, nil
}

// decodeVersions reads the API's job versions both as the table shows
// them and as generic values for the diffs between them.
func decodeVersions(raw []json.RawMessage) ([]jobVersion, []versionDiff) {
	vs := make([]jobVersion, 0, len(raw))
	generic := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		var v jobVersion
		var g map[string]any
		if json.Unmarshal(r, &v) != nil || json.Unmarshal(r, &g) != nil {
			continue
		}
		vs = append(vs, v)
		generic = append(generic, g)
	}
	return vs, versionDiffs(generic)
}
