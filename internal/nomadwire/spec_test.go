package nomadwire_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

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

// TestTaskIdentitiesSurvive: a task's default identity travels as Nomad's
// Task.Identity, its named ones as Task.Identities, and both come back.
func TestTaskIdentitiesSurvive(t *testing.T) {
	src := []byte(`job "web" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
      identity {
        env  = true
        file = true
      }
      identity {
        name = "vault"
        aud  = ["vault.io"]
        ttl  = "1h"
        file = true
      }
    }
  }
}`)
	j, err := jobspec.Parse("web.nomad.hcl", src, jobspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := json.Marshal(nomadwire.FromJob(j))
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		TaskGroups []struct {
			Tasks []struct {
				Identity   *nomadwire.Identity
				Identities []*nomadwire.Identity
			}
		}
	}
	if err := json.Unmarshal(sent, &wire); err != nil {
		t.Fatal(err)
	}
	wt := wire.TaskGroups[0].Tasks[0]
	if wt.Identity == nil || !wt.Identity.Env || len(wt.Identities) != 1 || wt.Identities[0].Name != "vault" {
		t.Fatalf("wire task identities: %s", sent)
	}
	var got nomadwire.Job
	if err := json.Unmarshal(sent, &got); err != nil {
		t.Fatal(err)
	}
	ids := nomadwire.ToJob(&got).Groups[0].Tasks[0].Identities
	if len(ids) != 2 || !ids[0].Env || !ids[0].File || ids[1].Name != "vault" || ids[1].TTL != time.Hour ||
		len(ids[1].Aud) != 1 || ids[1].Aud[0] != "vault.io" {
		t.Fatalf("identities after the trip: %+v %+v", ids[0], ids[len(ids)-1])
	}
}

// TestActivePassiveSurvives: orbit's active_passive block crosses the
// wire (orbit job run sends it) and comes back from a job read.
func TestActivePassiveSurvives(t *testing.T) {
	src := []byte(`job "db" {
  group "g" {
    active_passive {
      lock = "locks/db"
      ttl  = "20s"
    }
    task "t" {
      driver = "raw_exec"
      config { command = "/bin/true" }
    }
  }
}`)
	j, err := jobspec.Parse("db.nomad.hcl", src, jobspec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := json.Marshal(nomadwire.FromJob(j))
	if err != nil {
		t.Fatal(err)
	}
	var got nomadwire.Job
	if err := json.Unmarshal(sent, &got); err != nil {
		t.Fatal(err)
	}
	ap := nomadwire.ToJob(&got).Groups[0].ActivePassive
	if ap == nil || ap.Lock != "locks/db" || ap.TTL != 20*time.Second {
		t.Fatalf("active_passive after the trip: %+v (wire %s)", ap, sent)
	}
}
