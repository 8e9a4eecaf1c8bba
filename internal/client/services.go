package client

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

// registration is one service instance with its checks.
type registration struct {
	Instance *catalog.Instance
	Checks   []*catalog.Check
}

// svcInput is what an allocation's service registrations are built from.
type svcInput struct {
	Alloc    *job.Allocation
	Job      *job.Job
	Group    *job.Group
	Task     *job.Task // nil for the group's services
	Services []*job.Service
	Ports    []job.AllocatedPort
	Node     string
	Address  string // the node's address
	Env      map[string]string
	Facts    *nodeFacts
}

// serviceID is Nomad's instance id scheme, so tools that parse it (and
// the API's allocation view) recognise it.
func serviceID(allocID, group, task, service, portLabel string) string {
	owner := task
	if task == "" {
		owner = "group-" + group
	}
	return sanitizeID(fmt.Sprintf("_nomad-task-%s-%s-%s-%s", allocID, owner, service, portLabel))
}

func sanitizeID(s string) string { return strings.NewReplacer("/", "_", "\x00", "_").Replace(s) }

// buildServices maps a group's or a task's service blocks onto catalog
// instances and checks, with the allocation's host ports and the node's
// address; catalog.Registration.Build applies the defaults it shares with
// the Consul API.
func buildServices(in svcInput) ([]registration, error) {
	var out []registration
	task := ""
	if in.Task != nil {
		task = in.Task.Name
	}
	for _, s := range in.Services {
		name := interpolate(s.Name, in.Env, in.Facts)
		port, err := resolvePort(s.Port, in.Ports, s.AddressMode)
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		addr := serviceAddress(in.Address, s.Port, in.Ports, s.AddressMode)
		if s.Address != "" {
			addr = interpolate(s.Address, in.Env, in.Facts)
		}
		inst := catalog.Instance{
			Node: in.Node, ID: serviceID(in.Alloc.ID, in.Group.Name, task, name, s.Port),
			Name: name, Address: addr, Port: port, Owner: in.Alloc.ID,
			Meta: map[string]string{"external-source": "nomad", "alloc_id": in.Alloc.ID,
				"job": in.Job.ID, "group": in.Group.Name, "task": task, "namespace": in.Alloc.Namespace},
		}
		for _, t := range serviceTags(s, in.Alloc) {
			inst.Tags = append(inst.Tags, interpolate(t, in.Env, in.Facts))
		}
		for k, v := range s.Meta.Values {
			inst.Meta[k] = interpolate(v, in.Env, in.Facts)
		}
		if s.Identity != nil && len(s.Identity.Aud) > 0 {
			// Recorded for `orbit audit`, which reports services without one.
			inst.Meta["orbit-identity-aud"] = strings.Join(s.Identity.Aud, ",")
		}
		reg := catalog.Registration{Instance: inst}
		for i, c := range s.Checks {
			chk, err := buildCheck(in, &inst, c, i)
			if err != nil {
				return nil, fmt.Errorf("service %q: %w", name, err)
			}
			reg.Checks = append(reg.Checks, chk)
		}
		// One conversion with the Consul API: the same defaults (check
		// name, timeouts, weights) and the same validation.
		built, checks, err := reg.Build()
		if err != nil {
			return nil, fmt.Errorf("service %q: %w", name, err)
		}
		out = append(out, registration{Instance: built, Checks: checks})
	}
	return out, nil
}

// resolvePort maps a service or check port (a label or a number) to the
// port to advertise: the host port, or the "to" port in address mode
// driver.
func resolvePort(p string, ports []job.AllocatedPort, mode string) (int, error) {
	if p == "" {
		return 0, nil
	}
	for _, ap := range ports {
		if ap.Label == p {
			if mode == "driver" && ap.To > 0 {
				return ap.To, nil
			}
			return ap.Value, nil
		}
	}
	if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65536 {
		return n, nil
	}
	return 0, fmt.Errorf("port %q is not a port label of the group's network", p)
}

// serviceAddress is the address a service advertises: in address mode
// auto or host (the default), the host address its port is bound on (its
// host network's); otherwise, and for a port that is not a label, the
// node's address.
func serviceAddress(node, port string, ports []job.AllocatedPort, mode string) string {
	if mode != "" && mode != job.AddressModeAuto && mode != job.AddressModeHost {
		return node
	}
	for _, ap := range ports {
		if ap.Label == port && ap.HostIP != "" {
			return ap.HostIP
		}
	}
	return node
}

// buildCheck maps a check block onto a check registration: its address
// from the service's (or the check's own port), its type's fields, its
// initial status. catalog.Registration.Build applies the defaults.
func buildCheck(in svcInput, inst *catalog.Instance, c *job.Check, i int) (catalog.CheckRegistration, error) {
	port := inst.Port
	if c.Port != "" {
		p, err := resolvePort(c.Port, in.Ports, "")
		if err != nil {
			return catalog.CheckRegistration{}, fmt.Errorf("check %q: %w", c.Name, err)
		}
		port = p
	}
	hp := hostPort(inst.Address, port)
	d := catalog.CheckDefinition{Interval: c.Interval, Timeout: c.Timeout,
		SuccessBeforePassing: c.SuccessBeforePassing, FailuresBeforeCritical: c.FailuresBeforeCritical,
		FailuresBeforeWarning: c.FailuresBeforeWarning}
	switch c.Type {
	case job.CheckHTTP:
		scheme := c.Protocol
		if scheme == "" {
			scheme = "http"
		}
		path := interpolate(c.Path, in.Env, in.Facts)
		if path != "" && !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		d.HTTP = scheme + "://" + hp + path
		d.Method, d.Header, d.Body = c.Method, c.Header, c.Body
		d.TLSSkipVerify, d.TLSServerName = c.TLSSkipVerify, c.TLSServerName
	case job.CheckTCP:
		d.TCP = hp
	case job.CheckGRPC:
		d.GRPC = hp
		if c.GRPCService != "" {
			d.GRPC += "/" + c.GRPCService
		}
		d.GRPCUseTLS = c.GRPCUseTLS
	case job.CheckTTL:
		d.TTL, d.Interval = c.Interval, 0
	case job.CheckScript:
		d.Args = append([]string{interpolate(c.Command, in.Env, in.Facts)}, c.Args...)
	default:
		return catalog.CheckRegistration{}, fmt.Errorf("check %q: unsupported type %q", c.Name, c.Type)
	}
	var status catalog.Status
	if c.InitialStatus != "" {
		s, err := catalog.ParseStatus(c.InitialStatus)
		if err != nil {
			return catalog.CheckRegistration{}, fmt.Errorf("check %q: %w", c.Name, err)
		}
		status = s
	}
	return catalog.CheckRegistration{CheckID: sanitizeID(fmt.Sprintf("%s-check-%d", inst.ID, i)), Name: c.Name,
		Status: status, Definition: d}, nil
}
