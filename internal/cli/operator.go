package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strconv"
	"text/tabwriter"

	"github.com/orbit/orbit/internal/agent"
)

// raftServer and raftConfiguration are consul/api's shapes of
// GET /v1/operator/raft/configuration.
type raftServer struct {
	ID              string
	Node            string
	Address         string
	Leader          bool
	Voter           bool
	ProtocolVersion string
}

type raftConfiguration struct {
	Servers []raftServer
	Index   uint64
}

// role is a server's part in the store cluster.
func (s raftServer) role() string {
	switch {
	case s.Leader:
		return "leader"
	case s.Voter:
		return "follower"
	}
	return "learner"
}

func raftConfig(ctx context.Context, c *apiClient) (raftConfiguration, error) {
	var cfg raftConfiguration
	_, err := c.do(ctx, "GET", "/v1/operator/raft/configuration", nil, &cfg)
	return cfg, err
}

func cmdOperator(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "operator", args, map[string]func(context.Context, *Env, []string) int{
		"raft":          cmdOperatorRaft,
		"cluster-reset": cmdClusterReset,
		"join-token":    cmdOperatorJoinToken,
	})
}

func cmdOperatorRaft(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "operator raft", args, map[string]func(context.Context, *Env, []string) int{
		"list-peers":  cmdRaftListPeers,
		"remove-peer": cmdRaftRemovePeer,
	})
}

// cmdRaftListPeers prints the servers as `consul operator raft list-peers`.
func cmdRaftListPeers(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator raft list-peers")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := raftConfig(ctx, client())
	if err != nil {
		return fail(e, err)
	}
	tw := tabwriter.NewWriter(e.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Node\tID\tAddress\tState\tVoter\tRaftProtocol")
	for _, s := range cfg.Servers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", s.Node, s.ID, s.Address, s.role(), s.Voter, s.ProtocolVersion)
	}
	tw.Flush()
	return 0
}

// cmdRaftRemovePeer removes a server as `consul operator raft remove-peer`.
func cmdRaftRemovePeer(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator raft remove-peer")
	client := addressFlagsAs(fs, e, "http-addr") // -address names the peer, as in Consul
	id := fs.String("id", "", "the server's `ID` (as list-peers shows it), etcd member ID or node name")
	addr := fs.String("address", "", "the server's `address` (host:port, as list-peers shows it)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*id == "") == (*addr == "") {
		fmt.Fprintln(e.Stderr, "orbit operator raft remove-peer: give exactly one of -id and -address")
		return 2
	}
	q, what, which := url.Values{}, "id", *id
	if *addr != "" {
		what, which = "address", *addr
	}
	q.Set(what, which)
	if _, err := client().do(ctx, "DELETE", "/v1/operator/raft/peer?"+q.Encode(), nil, nil); err != nil {
		return fail(e, err)
	}
	fmt.Fprintf(e.Stdout, "Removed peer with %s %s\n", what, strconv.Quote(which))
	return 0
}

// cmdClusterReset makes a stopped server the only member of a new store
// cluster with all its data, for a cluster that lost its quorum for good.
// It works on the data directory, not over HTTP: the server must be
// stopped and the cluster has no quorum to ask.
func cmdClusterReset(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "operator cluster-reset")
	dir := fs.String("data-dir", "", "the stopped server's data `directory`")
	host, _ := os.Hostname()
	node := fs.String("node", host, "the node `name` the server runs with")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() > 0 {
		fmt.Fprintln(e.Stderr, "usage: orbit operator cluster-reset -data-dir DIR [-node NAME]   (stop the server first)")
		return 2
	}
	log := slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	peer, err := agent.ResetCluster(ctx, *dir, *node, log)
	if err != nil {
		return fail(e, fmt.Errorf("%w (is the server stopped? its data directory is locked while it runs)", err))
	}
	fmt.Fprintf(e.Stdout, "The store in %s is now a cluster of one member (peer %s) with all its data.\n", *dir, peer)
	fmt.Fprintln(e.Stdout, "Start this server again with its usual flags; then start each other server with an empty")
	fmt.Fprintln(e.Stdout, "-data-dir and -retry-join pointing at this one.")
	return 0
}
