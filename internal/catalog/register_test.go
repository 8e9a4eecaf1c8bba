package catalog

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRegistrationBuild(t *testing.T) {
	web := Instance{Node: "n1", Name: "web", Port: 8080}
	httpDef := CheckDefinition{HTTP: "http://127.0.0.1:8080/health", Interval: time.Second}
	tcpDef := CheckDefinition{TCP: "127.0.0.1:8080", Interval: time.Second}
	grpcDef := CheckDefinition{GRPC: "127.0.0.1:8080", Interval: time.Second}
	scriptDef := CheckDefinition{Args: []string{"/bin/true"}, Interval: time.Second}
	ttlDef := CheckDefinition{TTL: 30 * time.Second}
	with := func(d CheckDefinition, timeout time.Duration) CheckDefinition { d.Timeout = timeout; return d }
	check := func(id, name string, d CheckDefinition) *Check {
		return &Check{Node: "n1", CheckID: id, Name: name, Status: Critical, ServiceID: "web", Definition: d}
	}

	tests := []struct {
		name   string
		reg    Registration
		inst   *Instance // nil: web with ID web and weights 1/1
		checks []*Check
		err    string // a part of the error, which wraps ErrInvalid
	}{
		{name: "no checks: ID from the name, weights 1/1", reg: Registration{Instance: web}, checks: []*Check{}},
		{name: "given ID and weights are kept, instance weights ignored",
			reg:    Registration{Instance: Instance{Node: "n1", Name: "web", ID: "web-1", Weights: Weights{7, 7}}, Weights: &Weights{Passing: 3, Warning: 0}},
			inst:   &Instance{Node: "n1", Name: "web", ID: "web-1", Weights: Weights{Passing: 3, Warning: 0}},
			checks: []*Check{}},
		{name: "one check: service:<id>, Consul's name, critical, 10s",
			reg:    Registration{Instance: web, Checks: []CheckRegistration{{Definition: httpDef}}},
			checks: []*Check{check("service:web", "Service 'web' check", with(httpDef, 10*time.Second))}},
		{name: "several checks are numbered from 1, names are not",
			reg: Registration{Instance: web, Checks: []CheckRegistration{{Definition: tcpDef}, {Definition: grpcDef}, {Definition: ttlDef}}},
			checks: []*Check{
				check("service:web:1", "Service 'web' check", with(tcpDef, 10*time.Second)),
				check("service:web:2", "Service 'web' check", with(grpcDef, 10*time.Second)),
				check("service:web:3", "Service 'web' check", ttlDef),
			}},
		{name: "the name comes from the service name, the ID from the instance ID",
			reg:    Registration{Instance: Instance{Node: "n1", Name: "web", ID: "web-2"}, Checks: []CheckRegistration{{Definition: ttlDef}}},
			inst:   &Instance{Node: "n1", Name: "web", ID: "web-2", Weights: Weights{1, 1}},
			checks: []*Check{{Node: "n1", CheckID: "service:web-2", Name: "Service 'web' check", Status: Critical, ServiceID: "web-2", Definition: ttlDef}}},
		{name: "script checks default to 30s",
			reg:    Registration{Instance: web, Checks: []CheckRegistration{{Definition: scriptDef}}},
			checks: []*Check{check("service:web", "Service 'web' check", with(scriptDef, 30*time.Second))}},
		{name: "given fields are kept",
			reg: Registration{Instance: web, Checks: []CheckRegistration{{CheckID: "alive", Name: "Alive", Notes: "n", Status: Passing, Output: "ok",
				Definition: with(httpDef, 2*time.Second)}}},
			checks: []*Check{{Node: "n1", CheckID: "alive", Name: "Alive", Notes: "n", Status: Passing, Output: "ok", ServiceID: "web",
				Definition: with(httpDef, 2*time.Second)}}},
		{name: "a status-only check gets no timeout",
			reg:    Registration{Instance: web, Checks: []CheckRegistration{{Status: Warning}}},
			checks: []*Check{{Node: "n1", CheckID: "service:web", Name: "Service 'web' check", Status: Warning, ServiceID: "web"}}},
		{name: "duplicate check IDs", reg: Registration{Instance: web, Checks: []CheckRegistration{{CheckID: "a", Definition: ttlDef}, {CheckID: "a", Definition: ttlDef}}},
			err: `duplicate check id "a"`},
		{name: "a given ID can collide with a default one",
			reg: Registration{Instance: web, Checks: []CheckRegistration{{CheckID: "service:web:2", Definition: ttlDef}, {Definition: ttlDef}}},
			err: `duplicate check id "service:web:2"`},
		{name: "missing name", reg: Registration{Instance: Instance{Node: "n1"}}, err: "service name is required"},
		{name: "empty meta key", reg: Registration{Instance: Instance{Node: "n1", Name: "web", Meta: map[string]string{"": "x"}}}, err: "meta key"},
		{name: "long meta key", reg: Registration{Instance: Instance{Node: "n1", Name: "web", Meta: map[string]string{strings.Repeat("k", 129): "x"}}}, err: "1 to 128"},
		{name: "bad port", reg: Registration{Instance: Instance{Node: "n1", Name: "web", Port: 70000}}, err: "out of range"},
		{name: "bad status", reg: Registration{Instance: web, Checks: []CheckRegistration{{Status: "fine", Definition: ttlDef}}}, err: "invalid check status"},
		{name: "check without interval", reg: Registration{Instance: web, Checks: []CheckRegistration{{Definition: CheckDefinition{TCP: "127.0.0.1:1"}}}}, err: "requires an Interval"},
		{name: "two check types", reg: Registration{Instance: web, Checks: []CheckRegistration{{Definition: CheckDefinition{TCP: "a:1", TTL: time.Second, Interval: time.Second}}}}, err: "only one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inst, checks, err := tt.reg.Build()
			if tt.err != "" {
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrInvalid with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.inst
			if want == nil {
				want = &Instance{Node: "n1", Name: "web", ID: "web", Port: 8080, Weights: Weights{1, 1}}
			}
			if !reflect.DeepEqual(inst, want) {
				t.Errorf("instance = %+v, want %+v", inst, want)
			}
			if !reflect.DeepEqual(checks, tt.checks) {
				for _, c := range checks {
					t.Logf("got check %+v", c)
				}
				t.Errorf("checks differ from %d wanted", len(tt.checks))
			}
		})
	}
}

func TestRegistrationBuildLeavesInputAlone(t *testing.T) {
	reg := Registration{Instance: Instance{Node: "n1", Name: "web"},
		Checks: []CheckRegistration{{Definition: CheckDefinition{HTTP: "http://127.0.0.1/", Interval: time.Second}}}}
	if _, _, err := reg.Build(); err != nil {
		t.Fatal(err)
	}
	if reg.Instance.ID != "" || reg.Instance.Weights != (Weights{}) || reg.Checks[0].CheckID != "" || reg.Checks[0].Definition.Timeout != 0 {
		t.Fatalf("Build changed its input: %+v", reg)
	}
}
