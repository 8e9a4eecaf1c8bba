package operator

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/store"
)

// Autopilot paths, as Consul serves them.
const (
	PathAutopilot              = "/v1/operator/autopilot/"
	PathAutopilotConfiguration = PathAutopilot + "configuration"
	PathAutopilotHealth        = PathAutopilot + "health"
	PathAutopilotState         = PathAutopilot + "state"
)

// duration is consul/api's ReadableDuration: "200ms" in JSON, a string or
// a number of nanoseconds when read.
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = duration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a string such as \"200ms\" or nanoseconds", b)
	}
	*d = duration(f)
	return nil
}

func durp(v time.Duration) *duration { d := duration(v); return &d }

// AutopilotConfiguration is consul/api's AutopilotConfiguration plus
// orbit's DeadServerThreshold.
type AutopilotConfiguration struct {
	CleanupDeadServers      bool
	LastContactThreshold    *duration
	MaxTrailingLogs         uint64
	MinQuorum               uint
	ServerStabilizationTime *duration
	RedundancyZoneTag       string
	DisableUpgradeMigration bool
	UpgradeVersionTag       string
	// DeadServerThreshold is orbit's: how long a server must not answer
	// before clean-up removes it. A PUT without it keeps the current one.
	DeadServerThreshold *duration
	CreateIndex         uint64
	ModifyIndex         uint64
}

func configJSON(c store.AutopilotConfig) AutopilotConfiguration {
	return AutopilotConfiguration{CleanupDeadServers: c.CleanupDeadServers, LastContactThreshold: durp(c.LastContactThreshold),
		MaxTrailingLogs: c.MaxTrailingLogs, MinQuorum: c.MinQuorum, ServerStabilizationTime: durp(c.ServerStabilizationTime),
		RedundancyZoneTag: c.RedundancyZoneTag, DisableUpgradeMigration: c.DisableUpgradeMigration,
		UpgradeVersionTag: c.UpgradeVersionTag, DeadServerThreshold: durp(c.DeadServerThreshold),
		CreateIndex: uint64(max(c.CreateIndex, 0)), ModifyIndex: uint64(max(c.ModifyIndex, 0))}
}

// apply writes the fields of a PUT body over cur: a duration left out
// keeps its current value.
func (in AutopilotConfiguration) apply(cur store.AutopilotConfig) store.AutopilotConfig {
	c := cur
	c.CleanupDeadServers, c.MaxTrailingLogs, c.MinQuorum = in.CleanupDeadServers, in.MaxTrailingLogs, in.MinQuorum
	c.RedundancyZoneTag, c.DisableUpgradeMigration, c.UpgradeVersionTag = in.RedundancyZoneTag, in.DisableUpgradeMigration, in.UpgradeVersionTag
	for _, f := range []struct {
		in  *duration
		out *time.Duration
	}{{in.LastContactThreshold, &c.LastContactThreshold}, {in.ServerStabilizationTime, &c.ServerStabilizationTime}, {in.DeadServerThreshold, &c.DeadServerThreshold}} {
		if f.in != nil {
			*f.out = time.Duration(*f.in)
		}
	}
	return c
}

// ServerHealth is consul/api's ServerHealth.
type ServerHealth struct {
	ID          string
	Name        string
	Address     string
	SerfStatus  string
	Version     string
	Leader      bool
	LastContact *duration
	LastTerm    uint64
	LastIndex   uint64
	Healthy     bool
	Voter       bool
	StableSince time.Time
}

// OperatorHealthReply is consul/api's OperatorHealthReply.
type OperatorHealthReply struct {
	Healthy          bool
	FailureTolerance int
	Servers          []ServerHealth
}

// AutopilotServer is consul/api's AutopilotServer.
type AutopilotServer struct {
	ID          string
	Name        string
	Address     string
	NodeStatus  string
	Version     string
	LastContact *duration
	LastTerm    uint64
	LastIndex   uint64
	Healthy     bool
	StableSince time.Time
	ReadReplica bool
	Status      string // leader, voter, non-voter (a learner)
	Meta        map[string]string
	NodeType    string
}

// AutopilotState is consul/api's AutopilotState.
type AutopilotState struct {
	Healthy                    bool
	FailureTolerance           int
	OptimisticFailureTolerance int
	Servers                    map[string]AutopilotServer
	Leader                     string
	Voters                     []string
}

// serverID is the server's ID as the raft configuration shows it.
func serverID(sv store.Server) string {
	if sv.NodeID != "" {
		return sv.NodeID
	}
	return sv.MemberHex()
}

func serverName(sv store.Server) string {
	if sv.Node != "" {
		return sv.Node
	}
	return "(unknown)"
}

// nodeStatus is Consul's Serf status of a server: alive while it answers.
func nodeStatus(st ServerState) string {
	if st.Answered {
		return "alive"
	}
	return "failed"
}

// HealthReply renders states as Consul's autopilot health.
func HealthReply(states []ServerState) OperatorHealthReply {
	out := OperatorHealthReply{Healthy: len(states) > 0, FailureTolerance: FailureTolerance(states), Servers: []ServerHealth{}}
	for _, st := range states {
		out.Healthy = out.Healthy && st.Healthy
		out.Servers = append(out.Servers, ServerHealth{ID: serverID(st.Server), Name: serverName(st.Server),
			Address: st.APIAddress(), SerfStatus: nodeStatus(st), Version: st.Version, Leader: st.Leader,
			LastContact: durp(st.LastContact), LastTerm: st.LastTerm, LastIndex: st.LastIndex,
			Healthy: st.Healthy, Voter: st.Voter(), StableSince: st.StableSince.UTC()})
	}
	return out
}

// StateReply renders states as Consul's autopilot state.
func StateReply(states []ServerState) AutopilotState {
	out := AutopilotState{Healthy: len(states) > 0, FailureTolerance: FailureTolerance(states),
		Servers: map[string]AutopilotServer{}, Voters: []string{}}
	voters := 0
	for _, st := range states {
		id := serverID(st.Server)
		status := "non-voter"
		switch {
		case st.Leader:
			status, out.Leader = "leader", id
		case st.Voter():
			status = "voter"
		}
		if st.Voter() {
			voters++
			out.Voters = append(out.Voters, id)
			out.Healthy = out.Healthy && st.Healthy
		}
		out.Servers[id] = AutopilotServer{ID: id, Name: serverName(st.Server), Address: st.APIAddress(),
			NodeStatus: nodeStatus(st), Version: st.Version, LastContact: durp(st.LastContact),
			LastTerm: st.LastTerm, LastIndex: st.LastIndex, Healthy: st.Healthy, StableSince: st.StableSince.UTC(),
			Status: status, Meta: map[string]string{}, NodeType: "voter"}
	}
	out.OptimisticFailureTolerance = max(0, voters-(voters/2+1))
	return out
}

// AutopilotHandler serves Consul's autopilot operator API.
type AutopilotHandler struct {
	cluster AutopilotCluster
	monitor *Monitor
	kit     *httpkit.Kit
	log     *slog.Logger
	mux     *httpkit.Mux
}

// NewAutopilotHandler builds the handler over the monitor's judgements;
// auth nil allows everything.
func NewAutopilotHandler(cluster AutopilotCluster, monitor *Monitor, auth acl.Authorizer, clock clockwork.Clock, log *slog.Logger) *AutopilotHandler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &AutopilotHandler{cluster: cluster, monitor: monitor, kit: httpkit.New(log, auth, clock), log: log, mux: httpkit.NewMux()}
	h.mux.Handle("GET "+PathAutopilotConfiguration, h.kit.Handle(h.getConfig))
	h.mux.Handle("PUT "+PathAutopilotConfiguration, h.kit.Handle(h.putConfig))
	h.mux.Handle("GET "+PathAutopilotHealth, h.kit.Handle(h.health))
	h.mux.Handle("GET "+PathAutopilotState, h.kit.Handle(h.state))
	h.mux.Handle(PathAutopilot, h.kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.Errorf(http.StatusNotFound, "%s %s: not served (GET/PUT %s, GET %s, GET %s)",
			r.Method, r.URL.Path, PathAutopilotConfiguration, PathAutopilotHealth, PathAutopilotState)
	}))
	return h
}

func (h *AutopilotHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Patterns lists the routes served (httpkit.Router).
func (h *AutopilotHandler) Patterns() []string { return h.mux.Patterns() }

func (h *AutopilotHandler) getConfig(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	c, err := h.cluster.AutopilotConfig(r.Context())
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, configJSON(c))
}

func (h *AutopilotHandler) putConfig(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Write}); err != nil {
		return err
	}
	var in AutopilotConfiguration
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		return httpkit.BadRequest("autopilot configuration body: %v", err)
	}
	cas, casIndex := false, int64(0)
	if v := strings.TrimSpace(r.URL.Query().Get("cas")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return httpkit.BadRequest("?cas=%q: want a ModifyIndex", v)
		}
		cas, casIndex = true, n
	}
	cur, err := h.cluster.AutopilotConfig(r.Context())
	if err != nil {
		return err
	}
	next := in.apply(cur)
	if err := next.Validate(); err != nil {
		return httpkit.BadRequest("autopilot configuration: %v", err)
	}
	ok, err := h.cluster.SetAutopilotConfig(r.Context(), next, cas, casIndex)
	if err != nil {
		return err
	}
	if ok {
		h.log.Info("autopilot configuration changed", "cleanup_dead_servers", next.CleanupDeadServers,
			"dead_server_threshold", next.DeadServerThreshold, "min_quorum", next.MinQuorum)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, ok)
}

func (h *AutopilotHandler) health(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	states, _, err := h.monitor.State(r.Context())
	if err != nil {
		return err
	}
	reply := HealthReply(states)
	code := http.StatusOK
	if !reply.Healthy {
		code = http.StatusTooManyRequests // Consul's answer while a server is unhealthy
	}
	return httpkit.WriteJSON(w, r, code, reply)
}

func (h *AutopilotHandler) state(w http.ResponseWriter, r *http.Request) error {
	if err := h.kit.Authorize(r, acl.Rule{Resource: acl.Operator, Access: acl.Read}); err != nil {
		return err
	}
	states, _, err := h.monitor.State(r.Context())
	if err != nil {
		return err
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, StateReply(states))
}
