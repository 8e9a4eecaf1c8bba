package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/api"
	"github.com/orbit/orbit/internal/operator"
	"github.com/orbit/orbit/internal/snapshot"
	"github.com/orbit/orbit/internal/store"
)

// publishServer records this server's node and API address beside its
// store member, so the leader, the peers and the raft configuration name
// it by its API address.
func (a *Agent) publishServer(ctx context.Context) error {
	if !a.cfg.Server || !a.store.Embedded() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	info := store.ServerInfo{Node: a.cfg.NodeName, NodeID: a.nodeID, Address: advertisedAPI(a.httpAddr, a.cfg.BindAddr)}
	if err := a.store.PublishServer(ctx, info); err != nil {
		return err
	}
	return nil
}

// advertisedAPI replaces an unspecified listen host with the bind address.
func advertisedAPI(listen, bind string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort(bind, port)
	}
	return listen
}

// operatorMounts serve the raft operator API and snapshots on every agent
// (a client agent reaches the servers' store as they do).
func (a *Agent) operatorMounts() []api.Mount {
	log := a.log.With("component", "operator")
	return []api.Mount{
		{Prefix: operator.PathPrefix, Resource: acl.Operator, Handler: operator.NewHandler(a.store, a.auth, a.clock, log)},
		{Prefix: snapshot.Path, Resource: acl.Operator, Handler: snapshot.NewHandler(a.store, a.auth, a.clock, log)},
		{Prefix: operator.PathAutopilot, Resource: acl.Operator, Handler: operator.NewAutopilotHandler(a.store, a.autopilot, a.auth, a.clock, log)},
		{Prefix: operator.PathJoinTokens, Resource: acl.Operator, Handler: operator.NewJoinTokensHandler(a.store, a.auth, a.clock, log)},
	}
}

// startAutopilot builds the autopilot monitor; a server with an embedded
// member runs it (probing the members every second and removing dead ones
// when configured), other agents probe when asked.
func (a *Agent) startAutopilot(run func(string, func(context.Context) error)) {
	a.autopilot = operator.NewMonitor(a.store, a.clock, a.log.With("component", "autopilot"))
	if a.cfg.Server && a.store.Embedded() {
		run("autopilot", a.autopilot.Run)
	}
}

// startSnapshots runs the scheduled snapshots of a server.
func (a *Agent) startSnapshots(run func(string, func(context.Context) error)) error {
	if a.cfg.snapshots == nil {
		return nil
	}
	cfg := *a.cfg.snapshots
	if !filepath.IsAbs(cfg.Dir) {
		cfg.Dir = filepath.Join(a.dataDir, cfg.Dir)
	}
	s, err := snapshot.NewSchedule(cfg, a.store, a.clock, a.log.With("component", "snapshot"))
	if err != nil {
		return fmt.Errorf("scheduled snapshots: %w", err)
	}
	run("snapshots", s.Run)
	return nil
}

// ResetCluster turns the stopped server whose data directory is dataDir
// into the only member of a new store cluster that keeps all its data
// (`orbit operator cluster-reset`), for a cluster that lost its quorum
// for good. node is the node name the server runs with. It returns the
// remaining member's peer URL.
func ResetCluster(ctx context.Context, dataDir, node string, log *slog.Logger) (string, error) {
	if dataDir == "" {
		return "", errors.New("-data-dir is required: the stopped server's data directory")
	}
	m, err := store.ResetCluster(ctx, store.Config{DataDir: dataDir, Name: node, Logger: log})
	if err != nil {
		return "", err
	}
	return m.PeerURL, nil
}
