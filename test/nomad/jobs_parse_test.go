package nomad_test

import (
	"strings"
	"testing"

	napi "github.com/hashicorp/nomad/api"
)

// TestParseDoesNotValidate parses a job Nomad's parse accepts although it
// does not validate (no group), then validates it through /v1/validate/job,
// which answers the problems in a 200 as Nomad does.
func TestParseDoesNotValidate(t *testing.T) {
	_, c := jobsAgent(t)
	j, err := c.Jobs().ParseHCLOpts(&napi.JobsParseRequest{
		JobHCL:       "variable \"dc\" { type = string }\njob \"example\" {\n  datacenters = [var.dc]\n}\n",
		Variables:    "dc = \"dc7\"\n",
		Canonicalize: true,
	})
	if err != nil {
		t.Fatalf("parse of a job without groups: %v", err)
	}
	if *j.ID != "example" || len(j.Datacenters) != 1 || j.Datacenters[0] != "dc7" || *j.Type != "service" {
		t.Fatalf("parsed job: ID %q datacenters %v type %v", *j.ID, j.Datacenters, j.Type)
	}
	// A syntax error is still refused.
	if _, err := c.Jobs().ParseHCL("job \"x\" {", true); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("parse of broken HCL: %v", err)
	}

	resp, _, err := c.Jobs().Validate(j, nil)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	t.Logf("validate answer: %+v", resp)
	if !resp.DriverConfigValidated || len(resp.ValidationErrors) != 1 || !strings.Contains(resp.ValidationErrors[0], "no group") ||
		!strings.HasPrefix(resp.Error, "1 error occurred:\n\t* ") {
		t.Fatalf("validate of a job without groups: %+v", resp)
	}

	bad := sleepJob("with space", 1)
	bad.TaskGroups[0].Tasks[0].Resources.CPU = new(50)
	resp, _, err = c.Jobs().Validate(bad, nil)
	if err != nil || len(resp.ValidationErrors) != 1 || resp.ValidationErrors[0] != "Job ID contains a space" {
		t.Fatalf("validate of an ID with a space: %+v %v", resp, err)
	}

	resp, _, err = c.Jobs().Validate(sleepJob("good", 1), nil)
	if err != nil || len(resp.ValidationErrors) != 0 || resp.Error != "" || !resp.DriverConfigValidated {
		t.Fatalf("validate of a good job: %+v %v", resp, err)
	}
}
