package api

import (
	"fmt"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

// toInstance builds a catalog instance and its checks from a service
// registration. The defaults (ID from the name, weights 1/1, check IDs
// "service:<id>[:<n>]", check names, critical status, timeouts) are
// catalog.Registration.Build's, shared with the node client.
func (s *Server) toInstance(node string, in *serviceIn) (*catalog.Instance, []*catalog.Check, error) {
	name := in.Name
	if name == "" {
		name = in.Service
	}
	if name == "" {
		return nil, nil, httpkit.BadRequest("missing service name (set \"Name\")")
	}
	kind := in.Kind
	if kind == "typical" {
		kind = ""
	}
	connect, err := withoutSidecar(in.Connect)
	if err != nil {
		return nil, nil, err
	}
	reg := catalog.Registration{Instance: catalog.Instance{Node: node, ID: in.ID, Name: name, Kind: kind, Address: in.Address,
		Port: in.Port, Tags: in.Tags, Meta: in.Meta, EnableTagOverride: in.EnableTagOverride,
		Proxy: nullToEmpty(in.Proxy), Connect: connect, Locality: in.Locality, SocketPath: in.SocketPath}}
	// Zero weights are what Consul's client sends when none were set
	// (AgentService.Weights is no pointer): the defaults apply, as in Consul.
	if in.Weights != nil && *in.Weights != (weightsJSON{}) {
		w := catalog.Weights(*in.Weights)
		reg.Weights = &w
	}
	if len(in.TaggedAddresses) > 0 {
		reg.Instance.TaggedAddresses = map[string]catalog.ServiceAddress{}
		for k, a := range in.TaggedAddresses {
			reg.Instance.TaggedAddresses[k] = catalog.ServiceAddress{Address: a.Address, Port: a.Port}
		}
	}
	defs := in.Checks
	if in.Check != nil {
		defs = append([]*checkIn{in.Check}, defs...)
	}
	for _, d := range defs {
		if d == nil {
			continue
		}
		c, err := s.toCheck(node, d, true)
		if err != nil {
			return nil, nil, fmt.Errorf("service %q: %w", name, err)
		}
		reg.Checks = append(reg.Checks, catalog.CheckRegistration{CheckID: c.CheckID, Name: c.Name, Notes: c.Notes,
			Status: c.Status, Output: c.Output, Definition: c.Definition})
	}
	return reg.Build()
}

// toCheck builds a check from its registration. runnable requires a check
// type the agent can run (agent endpoints); catalog registrations may carry
// checks that only report a status.
func (s *Server) toCheck(node string, d *checkIn, runnable bool) (*catalog.Check, error) {
	if d.Definition != nil && d.HTTP == "" && d.TCP == "" && d.GRPC == "" && d.UDP == "" && d.TTL == 0 {
		def := d.Definition
		d.HTTP, d.Header, d.Method, d.Body, d.TCP, d.GRPC, d.UDP = def.HTTP, def.Header, def.Method, def.Body, def.TCP, def.GRPC, def.UDP
		d.GRPCUseTLS, d.TLSServerName, d.TLSSkipVerify = def.GRPCUseTLS, def.TLSServerName, def.TLSSkipVerify
		d.Interval, d.Timeout, d.DeregisterCriticalServiceAfter = def.Interval, def.Timeout, def.DeregisterCriticalServiceAfter
	}
	switch {
	case d.DockerContainerID != "":
		return nil, httpkit.BadRequest("%s: docker checks are not supported; use an http, tcp, grpc or ttl check", d)
	case d.AliasNode != "" || d.AliasService != "":
		return nil, httpkit.BadRequest("%s: alias checks are not supported; use an http, tcp, grpc or ttl check", d)
	case d.UDP != "" && runnable:
		return nil, httpkit.BadRequest("%s: udp checks are not supported; use an http, tcp, grpc or ttl check", d)
	case d.H2Ping != "" || d.OSService != "":
		return nil, httpkit.BadRequest("%s: h2ping and os_service checks are not supported; use an http, tcp, grpc or ttl check", d)
	case d.TCPUseTLS:
		return nil, httpkit.BadRequest("%s: TCPUseTLS is not supported", d)
	}
	args := d.ScriptArgs
	if len(args) == 0 {
		args = d.Args
	}
	if len(args) > 0 && !s.cfg.EnableScriptChecks {
		return nil, httpkit.BadRequest("%s: Scripts are disabled on this agent; to enable, configure 'enable_script_checks' to true", d)
	}
	id := d.CheckID
	if id == "" {
		id = d.ID
	}
	status := catalog.Critical
	if d.Status != "" {
		st, err := catalog.ParseStatus(d.Status)
		if err != nil {
			return nil, httpkit.BadRequest("%s: %v", d, err)
		}
		status = st
	}
	method := strings.ToUpper(d.Method)
	c := &catalog.Check{Node: node, CheckID: id, Name: d.Name, Notes: d.Notes, Status: status,
		Output: d.Output, ServiceID: d.ServiceID,
		Definition: catalog.CheckDefinition{HTTP: d.HTTP, Method: method, Header: d.Header, Body: d.Body,
			TLSServerName: d.TLSServerName, TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP, GRPC: d.GRPC,
			GRPCUseTLS: d.GRPCUseTLS, UDP: d.UDP, Args: args, TTL: time.Duration(d.TTL), Interval: time.Duration(d.Interval),
			Timeout: time.Duration(d.Timeout), SuccessBeforePassing: d.SuccessBeforePassing,
			FailuresBeforeWarning: d.FailuresBeforeWarning, FailuresBeforeCritical: d.FailuresBeforeCritical,
			DeregisterCriticalServiceAfter: time.Duration(d.DeregisterCriticalServiceAfter)}}
	if runnable && c.Definition.Type() == "" {
		return nil, httpkit.BadRequest("%s: one of HTTP, TCP, GRPC, TTL or ScriptArgs is required", d)
	}
	// A check this agent runs needs a URL it can request; a catalog
	// registration's check only reports a status, as in Consul.
	if runnable && d.HTTP != "" && !strings.HasPrefix(d.HTTP, "http://") && !strings.HasPrefix(d.HTTP, "https://") {
		return nil, httpkit.BadRequest("%s: HTTP check URL %q must start with http:// or https://", d, d.HTTP)
	}
	c.Definition.SetDefaults()
	if err := c.Definition.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", d, err)
	}
	return c, nil
}
