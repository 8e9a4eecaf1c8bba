package agent

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/orbit/orbit/internal/catalog"
)

// registerConsulService registers this server as an instance of the
// `consul` service (id "consul") on its node, at its API port, as Consul's
// servers do, so tools resolving consul.service.consul find the servers.
// The agent's own service list leaves it out, as Consul's does.
func (a *Agent) registerConsulService(ctx context.Context) error {
	port := 8300
	if _, p, err := net.SplitHostPort(a.httpAddr); err == nil {
		if n, err := strconv.Atoi(p); err == nil {
			port = n
		}
	}
	in := &catalog.Instance{Node: a.cfg.NodeName, ID: "consul", Name: "consul", Port: port,
		Weights: catalog.Weights{Passing: 1, Warning: 1},
		Meta: map[string]string{"raft_version": "3", "non_voter": "false", "read_replica": "false",
			"serf_protocol_current": "2", "serf_protocol_min": "1", "serf_protocol_max": "5", "version": Version}}
	rev, err := a.store.ReplaceInstance(ctx, nil, in, nil, nil)
	if err != nil {
		return fmt.Errorf("register the consul service: %w", err)
	}
	return a.view.WaitRevision(ctx, rev)
}
