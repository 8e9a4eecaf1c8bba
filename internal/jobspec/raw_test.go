package jobspec_test

import (
	"testing"

	"github.com/orbit/orbit/internal/jobspec"
)

func TestRawSkipsValidation(t *testing.T) {
	src := []byte("job \"example\" {\n  priority = 500\n}\n")
	if _, err := jobspec.Parse("a.hcl", src, jobspec.Options{}); err == nil {
		t.Fatal("a job without groups and priority 500 parsed without Raw")
	}
	j, err := jobspec.Parse("a.hcl", src, jobspec.Options{Raw: true})
	if err != nil {
		t.Fatalf("Raw parse: %v", err)
	}
	if j.ID != "example" || j.Priority != 500 || j.Type != "" || len(j.Groups) != 0 {
		t.Fatalf("Raw parse gave %+v, want the job as written", j)
	}
}
