package client

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

// A job's service block becomes the instance and checks the Consul API
// would make of the same registration: catalog.Registration.Build's
// defaults, with Nomad's instance and check IDs.
func TestBuildServices(t *testing.T) {
	alloc := &job.Allocation{ID: "a1", Namespace: "default"}
	in := func(svcs ...*job.Service) svcInput {
		return svcInput{Alloc: alloc, Job: &job.Job{ID: "shop"}, Group: &job.Group{Name: "web"},
			Task: &job.Task{Name: "app"}, Services: svcs, Node: "n1", Address: "10.0.0.5",
			Ports: []job.AllocatedPort{{Label: "http", Value: 23456, To: 8080}}}
	}
	const id = "_nomad-task-a1-app-web-http"
	tests := []struct {
		name   string
		svc    *job.Service
		checks []*catalog.Check
		err    error
	}{
		{name: "no checks", svc: &job.Service{Name: "web", Port: "http"}, checks: []*catalog.Check{}},
		{name: "unnamed checks take Consul's name and timeouts",
			svc: &job.Service{Name: "web", Port: "http", Checks: []*job.Check{
				{Type: job.CheckHTTP, Path: "health", Interval: 5 * time.Second},
				{Type: job.CheckTCP, Interval: 5 * time.Second, Timeout: time.Second},
				{Type: job.CheckScript, Command: "/bin/check", Args: []string{"-q"}, Interval: 5 * time.Second},
				{Type: job.CheckTTL, Interval: 30 * time.Second, InitialStatus: "passing"},
			}},
			checks: []*catalog.Check{
				{Node: "n1", CheckID: id + "-check-0", Name: "Service 'web' check", Status: catalog.Critical, ServiceID: id,
					Definition: catalog.CheckDefinition{HTTP: "http://10.0.0.5:23456/health", Interval: 5 * time.Second, Timeout: 10 * time.Second}},
				{Node: "n1", CheckID: id + "-check-1", Name: "Service 'web' check", Status: catalog.Critical, ServiceID: id,
					Definition: catalog.CheckDefinition{TCP: "10.0.0.5:23456", Interval: 5 * time.Second, Timeout: time.Second}},
				{Node: "n1", CheckID: id + "-check-2", Name: "Service 'web' check", Status: catalog.Critical, ServiceID: id,
					Definition: catalog.CheckDefinition{Args: []string{"/bin/check", "-q"}, Interval: 5 * time.Second, Timeout: 30 * time.Second}},
				{Node: "n1", CheckID: id + "-check-3", Name: "Service 'web' check", Status: catalog.Passing, ServiceID: id,
					Definition: catalog.CheckDefinition{TTL: 30 * time.Second}},
			}},
		{name: "a named check keeps its name",
			svc: &job.Service{Name: "web", Port: "http", Checks: []*job.Check{{Name: "alive", Type: job.CheckGRPC, Interval: time.Second}}},
			checks: []*catalog.Check{{Node: "n1", CheckID: id + "-check-0", Name: "alive", Status: catalog.Critical, ServiceID: id,
				Definition: catalog.CheckDefinition{GRPC: "10.0.0.5:23456", Interval: time.Second, Timeout: 10 * time.Second}}}},
		{name: "a check that runs needs an interval, as in Consul",
			svc: &job.Service{Name: "web", Port: "http", Checks: []*job.Check{{Type: job.CheckTCP}}}, err: catalog.ErrInvalid},
		{name: "a bad meta key is refused as the Consul API refuses it",
			svc: &job.Service{Name: "web", Port: "http", Meta: job.Meta{Values: map[string]string{"": "x"}}}, err: catalog.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regs, err := buildServices(in(tt.svc))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || len(regs) != 1 {
				t.Fatalf("buildServices = %d registrations, %v", len(regs), err)
			}
			inst := regs[0].Instance
			if inst.ID != id || inst.Name != "web" || inst.Port != 23456 || inst.Weights != (catalog.Weights{Passing: 1, Warning: 1}) ||
				inst.Meta["alloc_id"] != "a1" || inst.Owner != "a1" {
				t.Errorf("instance = %+v", inst)
			}
			if !reflect.DeepEqual(regs[0].Checks, tt.checks) {
				for _, c := range regs[0].Checks {
					t.Logf("got %+v", c)
				}
				t.Errorf("checks differ from the %d wanted", len(tt.checks))
			}
		})
	}
}
