package operator

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// Paths served by Handler.
const (
	PathPrefix        = "/v1/operator/raft/"
	PathConfiguration = PathPrefix + "configuration"
	PathPeer          = PathPrefix + "peer"
)

// protocolVersion is reported as every server's raft protocol version:
// consul/api clients expect one, and 3 is the version whose servers are
// identified by ID, as orbit's are.
const protocolVersion = "3"

// Cluster is the servers' store cluster.
type Cluster interface {
	Servers(ctx context.Context) ([]store.Server, int64, error)
	RemoveServer(ctx context.Context, sv store.Server) error
}

var _ Cluster = (*store.Store)(nil)

// RaftServer is consul/api's RaftServer.
type RaftServer struct {
	ID              string
	Node            string
	Address         string
	Leader          bool
	ProtocolVersion string
	Voter           bool
}

// RaftConfiguration is consul/api's RaftConfiguration.
type RaftConfiguration struct {
	Servers []RaftServer
	Index   uint64
}

// Configuration renders the servers as Consul's raft configuration. A
// server's ID is its node ID, or its etcd member ID (hex) until it has
// published one.
func Configuration(servers []store.Server, index int64) RaftConfiguration {
	out := RaftConfiguration{Servers: make([]RaftServer, 0, len(servers)), Index: uint64(max(index, 0))}
	for _, sv := range servers {
		rs := RaftServer{ID: sv.NodeID, Node: sv.Node, Address: sv.APIAddress(), Leader: sv.Leader,
			ProtocolVersion: protocolVersion, Voter: sv.Voter()}
		if rs.ID == "" {
			rs.ID = sv.MemberHex()
		}
		if rs.Node == "" {
			rs.Node = sv.Name // the etcd member's name is the node's
		}
		if rs.Node == "" {
			rs.Node = "(unknown)" // added, not started yet
		}
		out.Servers = append(out.Servers, rs)
	}
	return out
}

// Handler serves the raft operator API.
type Handler struct {
	cluster Cluster
	kit     *httpkit.Kit
	log     *slog.Logger
	mux     *httpkit.Mux
}

// NewHandler builds the handler; auth nil allows everything.
func NewHandler(cluster Cluster, auth acl.Authorizer, clock clockwork.Clock, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cluster: cluster, kit: httpkit.New(log, auth, clock), log: log, mux: httpkit.NewMux()}
	h.mux.Handle("GET "+PathConfiguration, h.kit.Handle(h.configuration))
	h.mux.Handle("DELETE "+PathPeer, h.kit.Handle(h.removePeer))
	h.mux.Handle(PathPrefix, h.kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.Errorf(http.StatusNotFound, "%s %s: not served (GET %s, DELETE %s?id=|address=)",
			r.Method, r.URL.Path, PathConfiguration, PathPeer)
	}))
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *Handler) Patterns() []string { return h.mux.Patterns() }

func (h *Handler) configuration(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	servers, rev, err := h.cluster.Servers(r.Context())
	if err != nil {
		return err
	}
	cfg := Configuration(servers, rev)
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: cfg.Index, KnownLeader: hasLeader(servers)})
	return httpkit.WriteJSON(w, r, http.StatusOK, cfg)
}

func hasLeader(servers []store.Server) bool {
	for _, sv := range servers {
		if sv.Leader {
			return true
		}
	}
	return false
}

func (h *Handler) removePeer(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	q := r.URL.Query()
	id, addr := strings.TrimSpace(q.Get("id")), strings.TrimSpace(q.Get("address"))
	if (id == "") == (addr == "") {
		return httpkit.BadRequest("remove peer: give exactly one of ?id= (node ID, member ID or node name) and ?address= (host:port)")
	}
	servers, _, err := h.cluster.Servers(r.Context())
	if err != nil {
		return err
	}
	sv, err := store.FindServer(servers, id, addr)
	if err != nil {
		return err
	}
	if err := h.cluster.RemoveServer(r.Context(), sv); err != nil {
		if errors.Is(err, store.ErrUnsettled) {
			return &httpkit.Error{Code: http.StatusServiceUnavailable, Public: err.Error(), Cause: err}
		}
		return err
	}
	h.log.Info("removed server from the store cluster", "node", sv.Node, "member", sv.MemberHex(), "address", sv.APIAddress())
	w.WriteHeader(http.StatusOK)
	return nil
}
