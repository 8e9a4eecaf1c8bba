package nomadapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/nomadwire"
)

// jobRoutes registers the job, evaluation and allocation endpoints beyond
// the common path (validate, evaluate, scale, submission, periodic, ...).
func (h *Handler) jobRoutes(m func(pattern string, f httpkit.HandlerFunc)) {
	m("PUT /v1/validate/job", h.validateJob)
	m("POST /v1/validate/job", h.validateJob)
}

// checkIDs refuses the job IDs and namespaces Nomad refuses. An ID may hold
// any other character, '/' included: the client escapes it in paths and
// the store in keys.
func checkIDs(j *job.Job) error {
	if msgs := idProblems(j); len(msgs) > 0 {
		return httpkit.Errorf(http.StatusBadRequest, "%s", msgs[0])
	}
	return nil
}

func idProblems(j *job.Job) []string {
	var out []string
	switch {
	case strings.Contains(j.ID, " "):
		out = append(out, "Job ID contains a space")
	case strings.Contains(j.ID, "\x00"):
		out = append(out, "Job ID contains a null character")
	}
	if strings.Contains(j.Namespace, "/") {
		out = append(out, fmt.Sprintf("namespace %q must not contain '/'", j.Namespace))
	}
	return out
}

// validateJob answers Nomad's JobValidateResponse: the job is canonicalized
// and checked as registration would (IDs, the spec, the admitter), and its
// problems are listed in a 200 answer, not refused.
func (h *Handler) validateJob(w http.ResponseWriter, r *http.Request) error {
	var req nomadwire.ValidateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Job == nil {
		return httpkit.Errorf(http.StatusBadRequest, "Job must be specified")
	}
	j := nomadwire.ToJob(req.Job)
	if j.Namespace == "" {
		j.Namespace = namespace(r)
	}
	j.Canonicalize()
	problems := idProblems(j)
	if err := j.Validate(); err != nil {
		var list job.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				problems = append(problems, e.Msg)
			}
		} else {
			problems = append(problems, err.Error())
		}
	}
	resp := &nomadwire.ValidateResponse{DriverConfigValidated: true, ValidationErrors: problems}
	if h.cfg.Admitter != nil && len(problems) == 0 {
		ws, err := h.cfg.Admitter.Admit(r.Context(), j)
		if err != nil {
			resp.ValidationErrors = append(resp.ValidationErrors, err.Error())
		}
		resp.Warnings = multiError(ws)
	}
	resp.Error = multiError(resp.ValidationErrors)
	return h.reply(w, r, 0, resp)
}

// multiError formats messages as Nomad's multierror does ("2 errors
// occurred:\n\t* a\n\t* b\n\n"); none is "".
func multiError(msgs []string) string {
	switch len(msgs) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("1 error occurred:\n\t* %s\n\n", msgs[0])
	}
	return fmt.Sprintf("%d errors occurred:\n\t* %s\n\n", len(msgs), strings.Join(msgs, "\n\t* "))
}
