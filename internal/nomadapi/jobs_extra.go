package nomadapi

import (
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/job"
)

// checkIDs refuses the job IDs and namespaces Nomad refuses. An ID may hold
// any other character, '/' included: the client escapes it in paths and
// the store in keys.
func checkIDs(j *job.Job) error {
	switch {
	case strings.Contains(j.ID, " "):
		return httpkit.Errorf(http.StatusBadRequest, "Job ID contains a space")
	case strings.Contains(j.ID, "\x00"):
		return httpkit.Errorf(http.StatusBadRequest, "Job ID contains a null character")
	case strings.Contains(j.Namespace, "/"):
		return httpkit.Errorf(http.StatusBadRequest, "namespace %q must not contain '/'", j.Namespace)
	}
	return nil
}
