package api

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

// Consul's maintenance checks: a critical check with the reason as notes,
// on the node or on one service, removed when maintenance ends.
const (
	nodeMaintCheck       = "_node_maintenance"
	serviceMaintPrefix   = "_service_maintenance:"
	defaultNodeReason    = "Maintenance mode is enabled for this node, but no reason was provided."
	defaultServiceReason = "Maintenance mode is enabled for this service, but no reason was provided."
)

// maintenanceArgs reads ?enable (required, true or false) and ?reason.
func maintenanceArgs(r *http.Request) (bool, string, error) {
	q := r.URL.Query()
	v := q.Get("enable")
	if v == "" {
		return false, "", httpkit.BadRequest("Missing value for enable")
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, "", httpkit.BadRequest("Invalid value for enable: %q", v)
	}
	return on, q.Get("reason"), nil
}

// agentServiceMaintenance is PUT /v1/agent/service/maintenance/:id.
func (s *Server) agentServiceMaintenance(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	on, reason, err := maintenanceArgs(r)
	if err != nil {
		return err
	}
	in, ok := s.view.Instance(s.cfg.NodeName, id)
	if !ok {
		return fmt.Errorf("%w: Unknown service ID %q", httpkit.ErrNotFound, id)
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Service, Segment: in.Name, Access: acl.Write}); err != nil {
		return err
	}
	if reason == "" {
		reason = defaultServiceReason
	}
	c := &catalog.Check{Node: s.cfg.NodeName, CheckID: serviceMaintPrefix + id, Name: "Service Maintenance Mode",
		Status: catalog.Critical, Notes: reason, ServiceID: id}
	return s.setMaintenance(r, on, c)
}

// agentNodeMaintenance is PUT /v1/agent/maintenance.
func (s *Server) agentNodeMaintenance(w http.ResponseWriter, r *http.Request) error {
	on, reason, err := maintenanceArgs(r)
	if err != nil {
		return err
	}
	if err := s.authorize(r, acl.Rule{Resource: acl.Node, Segment: s.cfg.NodeName, Access: acl.Write}); err != nil {
		return err
	}
	if reason == "" {
		reason = defaultNodeReason
	}
	c := &catalog.Check{Node: s.cfg.NodeName, CheckID: nodeMaintCheck, Name: "Node Maintenance Mode",
		Status: catalog.Critical, Notes: reason}
	return s.setMaintenance(r, on, c)
}

func (s *Server) setMaintenance(r *http.Request, on bool, c *catalog.Check) error {
	var rev int64
	var err error
	if on {
		rev, err = s.store.PutCheck(r.Context(), c)
	} else {
		_, rev, err = s.store.DeleteCheck(r.Context(), c.Node, c.CheckID)
	}
	if err != nil {
		return err
	}
	return s.waitWrite(r.Context(), rev)
}

// agentHost is /v1/agent/host: what Consul's debug bundle collects about
// the host, the fields orbit knows without reading the system's files.
func (s *Server) agentHost(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	host, _ := os.Hostname()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return httpkit.WriteJSON(w, r, http.StatusOK, map[string]any{
		"CollectionTime": s.clock.Now().UnixNano(),
		"Host": map[string]any{"hostname": host, "os": runtime.GOOS, "kernelArch": runtime.GOARCH,
			"uptime": uint64(time.Since(s.started).Seconds())},
		"CPU":    []map[string]any{{"cores": runtime.NumCPU()}},
		"Memory": map[string]any{"goHeapAlloc": ms.HeapAlloc, "goSys": ms.Sys},
		"Errors": []string{},
	})
}

// agentJoin is PUT /v1/agent/join/:address. orbit agents join when they
// start (-servers, -retry-join); joining this agent's own address, which
// Consul accepts as a no-op, is the one join answered here.
func (s *Server) agentJoin(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Agent, Segment: s.cfg.NodeName, Access: acl.Write}); err != nil {
		return err
	}
	addr := r.PathValue("address")
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == s.cfg.Address || host == s.cfg.NodeName {
		return httpkit.WriteJSON(w, r, http.StatusOK, nil)
	}
	return httpkit.BadRequest("cannot join %q at run time: orbit agents join servers when they start (-servers or -retry-join)", addr)
}

// ServerForceLeaver removes the store member of a failed server node; a
// node that is no server is left alone (nil error).
type ServerForceLeaver interface {
	ForceLeaveServer(ctx context.Context, node string) error
}

// agentForceLeave is PUT /v1/agent/force-leave/:node (?prune). As in
// Consul a live member is left alone; a failed one is removed from the
// catalog and, when it is a server, from the servers' store cluster.
func (s *Server) agentForceLeave(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	name := r.PathValue("node")
	if _, ok := s.view.Node(name); !ok {
		return fmt.Errorf("%w: agent: No node found with name %q", httpkit.ErrNotFound, name)
	}
	if s.view.Alive(name) {
		return httpkit.WriteJSON(w, r, http.StatusOK, nil)
	}
	if s.cfg.Servers != nil {
		if err := s.cfg.Servers.ForceLeaveServer(r.Context(), name); err != nil {
			return err
		}
	}
	rev, err := s.store.DeregisterNode(r.Context(), name)
	if err != nil {
		return err
	}
	return s.waitWrite(r.Context(), rev)
}
