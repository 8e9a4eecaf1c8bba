package catalog

import (
	"fmt"
	"time"
)

// Registration defaults. They are Consul's, so a service registered
// through orbit looks as it would in Consul whichever way it arrives (the
// Consul API or a Nomad job's service block):
//
//   - instance ID: the service name;
//   - weights: Passing 1, Warning 1;
//   - check ID: "service:<instance id>", with ":<n>" (n from 1) appended
//     to each when the service registers several checks;
//   - check name: "Service '<service name>' check" (not numbered);
//   - check status: critical, until the first run says otherwise;
//   - check timeout: 10s for http, tcp and grpc checks, 30s for script
//     checks; ttl checks have none.
const (
	// DefaultCheckTimeout bounds one run of an http, tcp or grpc check.
	DefaultCheckTimeout = 10 * time.Second
	// DefaultScriptTimeout bounds one run of a script check.
	DefaultScriptTimeout = 30 * time.Second
)

// DefaultCheckName is the name of a service's check registered without one.
func DefaultCheckName(service string) string { return fmt.Sprintf("Service '%s' check", service) }

// DefaultCheckID is the ID of check i (from 0) of a service's n checks when
// it is registered without one.
func DefaultCheckID(instanceID string, i, n int) string {
	if n > 1 {
		return fmt.Sprintf("service:%s:%d", instanceID, i+1)
	}
	return "service:" + instanceID
}

// SetDefaults fills a zero Timeout by type: DefaultCheckTimeout for http,
// tcp and grpc, DefaultScriptTimeout for script; ttl checks and checks
// that only report a status get none.
func (d *CheckDefinition) SetDefaults() {
	if d.Timeout != 0 {
		return
	}
	switch d.Type() {
	case TypeHTTP, TypeTCP, TypeGRPC:
		d.Timeout = DefaultCheckTimeout
	case TypeScript:
		d.Timeout = DefaultScriptTimeout
	}
}

// Registration is a service instance with its checks as a caller
// registers them, before defaults: the Consul API decodes one from a
// service definition, the node client builds one from a job's service
// block. Build turns it into what the catalog stores.
type Registration struct {
	// Instance is the service instance; an empty ID takes the name, and
	// Weights are ignored (see Weights).
	Instance Instance
	// Weights overrides the default weights (Passing 1, Warning 1) when set.
	Weights *Weights
	// Checks are the instance's checks, in registration order.
	Checks []CheckRegistration
}

// CheckRegistration is one check of a Registration. Zero fields take the
// defaults above.
type CheckRegistration struct {
	CheckID    string
	Name       string
	Notes      string
	Status     Status
	Output     string
	Definition CheckDefinition
}

// Build applies the defaults to r and validates the result: the instance,
// its meta keys (1 to 128 characters, as Consul requires), each check, and
// that no two checks share an ID. r is not modified. Errors wrap
// ErrInvalid.
func (r *Registration) Build() (*Instance, []*Check, error) {
	inst := r.Instance
	if inst.ID == "" {
		inst.ID = inst.Name
	}
	inst.Weights = Weights{Passing: 1, Warning: 1}
	if r.Weights != nil {
		inst.Weights = *r.Weights
	}
	for k := range inst.Meta {
		if k == "" || len(k) > 128 {
			return nil, nil, fmt.Errorf("%w: service %q: meta key %q must be 1 to 128 characters", ErrInvalid, inst.ID, k)
		}
	}
	if err := inst.Validate(); err != nil {
		return nil, nil, err
	}
	checks := make([]*Check, 0, len(r.Checks))
	seen := make(map[string]bool, len(r.Checks))
	for i, cr := range r.Checks {
		c := &Check{Node: inst.Node, CheckID: cr.CheckID, Name: cr.Name, Status: cr.Status, Notes: cr.Notes,
			Output: cr.Output, ServiceID: inst.ID, Definition: cr.Definition}
		if c.CheckID == "" {
			c.CheckID = DefaultCheckID(inst.ID, i, len(r.Checks))
		}
		if c.Name == "" {
			c.Name = DefaultCheckName(inst.Name)
		}
		if c.Status == "" {
			c.Status = Critical
		}
		c.Definition.SetDefaults()
		if seen[c.CheckID] {
			return nil, nil, fmt.Errorf("%w: service %q: duplicate check id %q", ErrInvalid, inst.ID, c.CheckID)
		}
		seen[c.CheckID] = true
		if err := c.Validate(); err != nil {
			return nil, nil, fmt.Errorf("service %q: %w", inst.ID, err)
		}
		checks = append(checks, c)
	}
	return &inst, checks, nil
}
