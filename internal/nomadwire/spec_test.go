package nomadwire_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/nomadwire"
	"github.com/orbit/orbit/internal/orbittest/fixtures"
)

// TestSpecRoundTrip sends every good job fixture through Nomad's shape and
// back (as the CLI submits a job and the server reads it) and checks that
// nothing of the spec is lost on the way.
func TestSpecRoundTrip(t *testing.T) {
	for _, file := range fixtures.Jobs(t, "good") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			j, err := jobspec.Parse(file, src, jobspec.Options{})
			if err != nil {
				t.Skipf("fixture needs inputs: %v", err)
			}
			j.Canonicalize()
			sent, err := json.Marshal(nomadwire.FromJob(j))
			if err != nil {
				t.Fatal(err)
			}
			var got nomadwire.Job
			if err := json.Unmarshal(sent, &got); err != nil {
				t.Fatal(err)
			}
			back, err := json.Marshal(nomadwire.FromJob(nomadwire.ToJob(&got)))
			if err != nil {
				t.Fatal(err)
			}
			if string(back) != string(sent) {
				t.Errorf("spec changed on the round trip:\nsent %s\ngot  %s", sent, back)
			}
		})
	}
}

// TestFieldNames pins a few of Nomad's JSON field names the real client
// depends on.
func TestFieldNames(t *testing.T) {
	count := 2
	b, err := json.Marshal(nomadwire.Job{ID: "web", TaskGroups: []*nomadwire.TaskGroup{{Name: "g", Count: &count}}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ID", "TaskGroups", "JobModifyIndex", "SubmitTime", "Datacenters"} {
		if _, ok := m[k]; !ok {
			t.Errorf("job JSON lacks %q: %s", k, b)
		}
	}
	if _, ok := m["Region"]; ok {
		t.Errorf("empty Region should be omitted: %s", b)
	}
}
