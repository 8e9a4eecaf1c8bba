package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/filter"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/view"
)

func (s *Server) agentSelf(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Agent, Segment: s.cfg.NodeName, Access: acl.Read}); err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, map[string]any{
		"Config": map[string]any{
			"Datacenter": s.cfg.Datacenter, "PrimaryDatacenter": s.cfg.Datacenter, "NodeName": s.cfg.NodeName,
			"NodeID": s.cfg.NodeID, "Server": s.cfg.Server, "Revision": "orbit", "Version": s.cfg.Version,
			"ACLsEnabled": s.cfg.ACLsEnabled, "StoreEndpoints": s.cfg.StoreEndpoints,
			"BuildDate": s.started.UTC().Format(time.RFC3339),
		},
		"Member": s.member(s.cfg.NodeName),
		// Tools read the LAN address to join from here, as Consul's.
		"DebugConfig": map[string]any{"SerfAdvertiseAddrLAN": "tcp://" + net.JoinHostPort(s.cfg.Address, "8301")},
		"Meta":        map[string]string{},
		"Stats": map[string]any{"agent": map[string]string{"checks": strconv.Itoa(len(s.view.NodeChecks(s.cfg.NodeName))),
			"services": strconv.Itoa(len(s.view.NodeInstances(s.cfg.NodeName)))}},
		"xDS": nil,
	})
}

// member describes a node as Consul's serf member list does: status 1 is
// alive, 4 failed.
func (s *Server) member(name string) map[string]any {
	n, _ := s.view.Node(name)
	addr, role := "", "node"
	if n != nil {
		addr = n.Address
		for _, r := range n.Roles {
			if r == "server" {
				role = "consul"
			}
		}
	}
	status := 4
	if s.view.Alive(name) {
		status = 1
	}
	return map[string]any{"Name": name, "Addr": addr, "Port": 8301, "Status": status,
		"Tags":        map[string]string{"dc": s.cfg.Datacenter, "role": role, "id": name},
		"ProtocolMin": 1, "ProtocolMax": 5, "ProtocolCur": 2, "DelegateMin": 2, "DelegateMax": 5, "DelegateCur": 4}
}

func (s *Server) agentMembers(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Access: acl.Read}); err != nil {
		return err
	}
	var out []map[string]any
	for _, n := range s.view.Nodes() {
		if n.Agent {
			out = append(out, s.member(n.Name))
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

func (s *Server) agentServices(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Access: acl.Read}); err != nil {
		return err
	}
	list := make([]*agentServiceJSON, 0)
	for _, in := range s.view.NodeInstances(s.cfg.NodeName) {
		if serverService(in) {
			continue
		}
		sj := toServiceJSON(in, false)
		sj.Datacenter = s.cfg.Datacenter
		list = append(list, sj)
	}
	list, err := applyFilter(r, list)
	if err != nil {
		return err
	}
	out := make(map[string]*agentServiceJSON, len(list))
	for _, sj := range list {
		out[sj.ID] = sj
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// agentService serves one local service with Consul's hash-based blocking.
func (s *Server) agentService(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: id, Access: acl.Read}); err != nil {
		return err
	}
	o, err := parseQueryOpts(r)
	if err != nil {
		return err
	}
	res := view.NodeRes(s.cfg.NodeName)
	current := func() (*agentServiceJSON, error) {
		in, ok := s.view.Instance(s.cfg.NodeName, id)
		if !ok {
			return nil, fmt.Errorf("%w: unknown service ID %q", httpkit.ErrNotFound, id)
		}
		sj := toServiceJSON(in, false)
		sj.Datacenter = s.cfg.Datacenter
		h, err := contentHash(sj)
		if err != nil {
			return nil, err
		}
		sj.ContentHash = h
		return sj, nil
	}
	sj, err := current()
	if want := r.URL.Query().Get("hash"); err == nil && want != "" && want == sj.ContentHash {
		// The hash stands for the index: wait until it differs.
		changed := func(ctx context.Context, _ uint64) {
			for idx := s.view.Index(res); ctx.Err() == nil; {
				if cur, err := current(); err != nil || cur.ContentHash != want {
					return
				}
				idx = s.view.Wait(ctx, res, idx)
			}
		}
		if s.kit.Block(r.Context(), httpkit.Query{Index: 1, Wait: o.Wait}, changed) != nil {
			return nil // the client left
		}
		sj, err = current()
	}
	if err != nil {
		return err
	}
	w.Header().Set("X-Consul-ContentHash", sj.ContentHash)
	return httpkit.WriteJSON(w, r, http.StatusOK, sj)
}

func (s *Server) agentChecks(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: s.cfg.NodeName, Access: acl.Read}); err != nil {
		return err
	}
	var list []*healthCheckJSON
	for _, c := range s.view.NodeChecks(s.cfg.NodeName) {
		if c.CheckID == catalog.SerfCheckID {
			continue // Consul's agent endpoint lists only the agent's own checks
		}
		list = append(list, toCheckJSON(c))
	}
	list, err := applyFilter(r, list)
	if err != nil {
		return err
	}
	out := make(map[string]*healthCheckJSON, len(list))
	for _, c := range list {
		out[c.CheckID] = c
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// agentHealthByName is Consul's local aggregated health of a service.
func (s *Server) agentHealthByName(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	type item struct {
		AggregatedStatus string
		Service          *agentServiceJSON
		Checks           []*healthCheckJSON
	}
	var out []item
	worst := catalog.Passing
	for _, e := range s.view.Entries(name) {
		if e.Instance.Node != s.cfg.NodeName {
			continue
		}
		worst = catalog.Worse(worst, e.Status)
		out = append(out, item{string(e.Status), toServiceJSON(e.Instance, false), toChecksJSON(e.Checks)})
	}
	code := http.StatusOK
	switch {
	case len(out) == 0:
		code = http.StatusNotFound
	case worst == catalog.Warning:
		code = http.StatusTooManyRequests
	case worst != catalog.Passing:
		code = http.StatusServiceUnavailable
	}
	if out == nil {
		out = []item{}
	}
	return httpkit.WriteJSON(w, r, code, out)
}

// agentHealthByID is Consul's local aggregated health of one service
// instance: one object, with the same status codes as by name.
func (s *Server) agentHealthByID(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	in, ok := s.view.Instance(s.cfg.NodeName, id)
	name := id
	if ok {
		name = in.Name
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Read}); err != nil {
		return err
	}
	if ok {
		for _, e := range s.view.Entries(name) {
			if e.Instance.Node != s.cfg.NodeName || e.Instance.ID != id {
				continue
			}
			code := http.StatusOK
			switch e.Status {
			case catalog.Passing:
			case catalog.Warning:
				code = http.StatusTooManyRequests
			default:
				code = http.StatusServiceUnavailable
			}
			return httpkit.WriteJSON(w, r, code, map[string]any{"AggregatedStatus": string(e.Status),
				"Service": toServiceJSON(e.Instance, false), "Checks": toChecksJSON(e.Checks)})
		}
	}
	return fmt.Errorf("%w: ServiceId %s not found", httpkit.ErrNotFound, id)
}

func (s *Server) agentServiceRegister(w http.ResponseWriter, r *http.Request) error {
	var in serviceIn
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	inst, checks, err := s.toInstance(s.cfg.NodeName, &in)
	if err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: inst.Name, Access: acl.Write}); err != nil {
		return err
	}
	// A re-registration keeps the status of checks whose definition is
	// unchanged, so re-registering does not flap a healthy service.
	for _, c := range checks {
		if old, ok := s.view.Check(s.cfg.NodeName, c.CheckID); ok && old.ServiceID == inst.ID &&
			sameDefinition(old.Definition, c.Definition) && !hasStatus(&in, c.CheckID) {
			c.Status, c.Output = old.Status, old.Output
		}
	}
	sidecar, err := s.sidecarOf(inst, in.Connect)
	if err != nil {
		return err
	}
	old := s.view.ServiceCheckIDs(s.cfg.NodeName, inst.ID)
	rev, err := s.store.ReplaceInstance(r.Context(), nil, inst, checks, old)
	if err != nil {
		return err
	}
	if sidecar != nil {
		sc, scChecks, err := s.toInstance(s.cfg.NodeName, sidecar)
		if err != nil {
			return fmt.Errorf("sidecar: %w", err)
		}
		old := s.view.ServiceCheckIDs(s.cfg.NodeName, sc.ID)
		if rev, err = s.store.ReplaceInstance(r.Context(), nil, sc, scChecks, old); err != nil {
			return err
		}
	}
	return s.waitWrite(r.Context(), rev)
}

func hasStatus(in *serviceIn, id string) bool {
	for _, c := range append([]*checkIn{in.Check}, in.Checks...) {
		if c != nil && (c.CheckID == id || c.ID == id) && c.Status != "" {
			return true
		}
	}
	return false
}

func sameDefinition(a, b catalog.CheckDefinition) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (s *Server) agentServiceDeregister(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	in, ok := s.view.Instance(s.cfg.NodeName, id)
	name := id
	if ok {
		name = in.Name
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: name, Access: acl.Write}); err != nil {
		return err
	}
	found, rev, err := s.store.RemoveInstance(r.Context(), s.cfg.NodeName, id, s.view.ServiceCheckIDs(s.cfg.NodeName, id))
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: Unknown service ID %q. Ensure that the service ID is passed, not the service name.", httpkit.ErrNotFound, id)
	}
	// A sidecar registered with the service goes with it, as in Consul.
	scID := id + sidecarSuffix
	if sc, ok := s.view.Instance(s.cfg.NodeName, scID); ok && sc.Kind == catalog.KindConnectProxy {
		if _, rev, err = s.store.RemoveInstance(r.Context(), s.cfg.NodeName, scID, s.view.ServiceCheckIDs(s.cfg.NodeName, scID)); err != nil {
			return err
		}
	}
	return s.waitWrite(r.Context(), rev)
}

func (s *Server) agentCheckRegister(w http.ResponseWriter, r *http.Request) error {
	var in checkIn
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	c, err := s.toCheck(s.cfg.NodeName, &in, true)
	if err != nil {
		return err
	}
	if c.CheckID == "" {
		c.CheckID = c.Name
	}
	if c.Name == "" {
		return httpkit.BadRequest("missing check name (set \"Name\")")
	}
	rule := acl.Rule{Resource: acl.Node, Segment: s.cfg.NodeName, Access: acl.Write}
	if c.ServiceID != "" {
		in, ok := s.view.Instance(s.cfg.NodeName, c.ServiceID)
		if !ok {
			return httpkit.BadRequest("ServiceID %q does not exist on this agent", c.ServiceID)
		}
		rule = acl.Rule{Resource: acl.Service, Segment: in.Name, Access: acl.Write}
	}
	if err := s.authorize(r, rule); err != nil {
		return err
	}
	rev, err := s.store.PutCheck(r.Context(), c)
	if err != nil {
		return err
	}
	return s.waitWrite(r.Context(), rev)
}

func (s *Server) agentCheckDeregister(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	// A service's check needs service:write on the service, the node's
	// own checks node:write, as Consul vets a check update.
	rule := acl.Rule{Resource: acl.Node, Segment: s.cfg.NodeName, Access: acl.Write}
	if c, ok := s.view.Check(s.cfg.NodeName, id); ok && c.ServiceName != "" {
		rule = acl.Rule{Resource: acl.Service, Segment: c.ServiceName, Access: acl.Write}
	}
	if err := s.authorize(r, rule); err != nil {
		return err
	}
	found, rev, err := s.store.DeleteCheck(r.Context(), s.cfg.NodeName, id)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: Unknown check ID %q. Ensure that the check ID is passed, not the check name.", httpkit.ErrNotFound, id)
	}
	return s.waitWrite(r.Context(), rev)
}

func (s *Server) agentCheckTTL(status catalog.Status) httpkit.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return s.updateTTL(w, r, r.PathValue("id"), status, r.URL.Query().Get("note"))
	}
}

func (s *Server) agentCheckUpdate(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Status string
		Output string
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	st, err := catalog.ParseStatus(body.Status)
	if err != nil || st == catalog.Maintenance {
		return httpkit.BadRequest("Invalid check status: %q (want passing, warning or critical)", body.Status)
	}
	return s.updateTTL(w, r, r.PathValue("id"), st, body.Output)
}

// maxOutput bounds a TTL check's stored output, as Consul's 4 KiB.
const maxOutput = 4096

func (s *Server) updateTTL(w http.ResponseWriter, r *http.Request, id string, st catalog.Status, output string) error {
	c, ok := s.view.Check(s.cfg.NodeName, id)
	if !ok {
		return fmt.Errorf("%w: Unknown check ID %q. Ensure that the check ID is passed, not the check name.", ErrUnknownCheck, id)
	}
	rule := acl.Rule{Resource: acl.Node, Segment: s.cfg.NodeName, Access: acl.Write}
	if c.ServiceName != "" {
		rule = acl.Rule{Resource: acl.Service, Segment: c.ServiceName, Access: acl.Write}
	}
	if err := s.authorize(r, rule); err != nil {
		return err
	}
	if len(output) > maxOutput {
		output = output[:maxOutput] + " ... (Output exceeded 4096 bytes)"
	}
	if c.Definition.Type() != catalog.TypeTTL {
		return fmt.Errorf("%w: check %q is not a TTL check", ErrNotTTL, id)
	}
	if s.ttl == nil {
		return errors.New("no health manager runs on this agent")
	}
	if err := s.ttl.UpdateTTL(r.Context(), id, st, output); err != nil {
		return err
	}
	// The health manager wrote the change (if any); make it visible here.
	return s.catchUp(r.Context())
}

// applyFilter evaluates ?filter over items in their JSON shape.
func applyFilter[T any](r *http.Request, items []T) ([]T, error) {
	expr := r.URL.Query().Get("filter")
	if expr == "" {
		return items, nil
	}
	e, err := filter.Parse(expr)
	if err != nil {
		return nil, httpkit.BadRequest("Failed to create boolean expression evaluator: %v", err)
	}
	return filter.Filter(e, items)
}

// serverService reports whether in is the `consul` service a server
// registers for itself: in the catalog, not among the agent's services.
func serverService(in *catalog.Instance) bool {
	return in.ID == "consul" && in.Name == "consul"
}
