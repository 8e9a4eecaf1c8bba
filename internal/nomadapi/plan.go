package nomadapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// diffJobs compares two jobs' specs field by field (server-set fields
// excluded). A nil old means the job is new.
func diffJobs(old, cur *nomadwire.Job) *nomadwire.JobDiff {
	d := &nomadwire.JobDiff{Type: "None", ID: cur.ID, Objects: []any{}, TaskGroups: []any{}}
	a, b := map[string]string{}, map[string]string{}
	if old != nil {
		flatten("", specOf(old), a)
	}
	flatten("", specOf(cur), b)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		ov, inOld := a[k]
		nv, inNew := b[k]
		switch {
		case !inOld:
			d.Fields = append(d.Fields, &nomadwire.FieldDiff{Type: "Added", Name: k, New: nv})
		case !inNew:
			d.Fields = append(d.Fields, &nomadwire.FieldDiff{Type: "Deleted", Name: k, Old: ov})
		case ov != nv:
			d.Fields = append(d.Fields, &nomadwire.FieldDiff{Type: "Edited", Name: k, Old: ov, New: nv})
		}
	}
	switch {
	case old == nil:
		d.Type = "Added"
	case len(d.Fields) > 0:
		d.Type = "Edited"
	}
	return d
}

// specOf is a job's JSON tree without the fields the server sets.
func specOf(j *nomadwire.Job) any {
	c := *j
	c.Stop, c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = false, "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	raw, _ := json.Marshal(&c)
	var tree any
	_ = json.Unmarshal(raw, &tree)
	return tree
}

// flatten writes every leaf of a JSON tree by path; list elements that
// carry a Name or Label are keyed by it, so reordering is no change.
func flatten(path string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			p := k
			if path != "" {
				p = path + "." + k
			}
			flatten(p, e, out)
		}
	case []any:
		for i, e := range t {
			key := fmt.Sprint(i)
			if m, ok := e.(map[string]any); ok {
				for _, f := range []string{"Name", "Label"} {
					if s, ok := m[f].(string); ok && s != "" {
						key = s
						break
					}
				}
			}
			flatten(fmt.Sprintf("%s[%s]", path, key), e, out)
		}
	case nil:
	default:
		out[path] = fmt.Sprint(t)
	}
}

func (h *Handler) planJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.PlanRequest
	if err := decode(r, &req); err != nil || req.Job == nil {
		return httpkit.Errorf(http.StatusBadRequest, "a plan request needs a Job")
	}
	if h.cfg.Planner == nil {
		return httpkit.Errorf(http.StatusNotImplemented, "this agent runs no scheduler to plan with")
	}
	j := nomadwire.ToJob(req.Job)
	if j.Namespace == "" {
		j.Namespace = namespace(r)
	}
	j.Canonicalize()
	if err := j.Validate(); err != nil {
		return httpkit.Errorf(http.StatusBadRequest, "%s", err.Error())
	}
	resp := &nomadwire.PlanResponse{CreatedEvals: []any{}}
	if h.cfg.Admitter != nil {
		ws, err := h.cfg.Admitter.Admit(r.Context(), j)
		if err != nil {
			return httpkit.Errorf(http.StatusBadRequest, "job refused: %s", err.Error())
		}
		resp.Warnings = joinLines(ws)
	}
	sum, err := h.cfg.Planner.PlanJob(r.Context(), j)
	if err != nil {
		return err
	}
	head, cur, curErr := h.currentJob(j.Namespace, j.ID)
	if curErr == nil {
		resp.JobModifyIndex = uint64(max(head.modRev, cur.modRev))
	}
	if req.Diff {
		var old *nomadwire.Job
		if curErr == nil {
			old = fromJob(cur.v, nil, 0, 0)
		}
		resp.Diff = diffJobs(old, fromJob(&job.Version{Job: j}, nil, 0, 0))
	}
	resp.Annotations.DesiredTGUpdates = map[string]*nomadwire.DesiredUpdates{}
	for g, p := range sum.Groups {
		resp.Annotations.DesiredTGUpdates[g] = &nomadwire.DesiredUpdates{Ignore: uint64(p.Ignore), Place: uint64(p.Place),
			Stop: uint64(p.Stop), InPlaceUpdate: uint64(p.InPlace), DestructiveUpdate: uint64(p.Destructive), Canary: uint64(p.Canary)}
	}
	if len(sum.Failed) > 0 {
		resp.FailedTGAllocs = fromEval(&job.Evaluation{FailedTGAllocs: sum.Failed}, 0, 0).FailedTGAllocs
	}
	resp.Placements = sum.Placements
	return h.reply(w, r, (h.view.Index(view.FamilyRes(store.FamilyJobs))), resp)
}

func joinLines(ws []string) string {
	out := ""
	for i, w := range ws {
		if i > 0 {
			out += "\n"
		}
		out += w
	}
	return out
}
