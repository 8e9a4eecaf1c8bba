package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FamilyServers holds what each server publishes about itself beside its
// etcd member: servers/<member id in hex> → ServerInfo. The records are not
// leased: a server that is down is still a member and still named.
const FamilyServers = "servers"

// ServerKey is the key of the record of the member id.
func ServerKey(memberID uint64) string {
	return FamilyKey(FamilyServers, strconv.FormatUint(memberID, 16))
}

// ServerInfo is what a server publishes so the operator API can name it.
type ServerInfo struct {
	Node    string // the agent's node name
	NodeID  string // the agent's node ID
	Address string // the agent's HTTP API address, host:port
}

// Server is one member of the servers' cluster with what it published.
type Server struct {
	Member
	ServerInfo
	// Leader is true for the member etcd reports as its leader.
	Leader bool
}

// Voter reports whether the member votes (is not a learner).
func (s Server) Voter() bool { return !s.Learner }

// MemberHex is the member's etcd ID as etcd prints it.
func (s Server) MemberHex() string { return strconv.FormatUint(s.ID, 16) }

// APIAddress is where the server's API listens, or, before it has published
// that (or with an external etcd), its peer address.
func (s Server) APIAddress() string {
	if s.Address != "" {
		return s.Address
	}
	h, _ := parseHostPort(s.PeerURL)
	return h
}

// ErrLastVoter is returned by RemoveServer for the cluster's only voter.
var ErrLastVoter = errors.New("refusing to remove the last voting server: the cluster would have no store left")

// PublishServer records info under this embedded member's ID.
func (s *Store) PublishServer(ctx context.Context, info ServerInfo) error {
	id := s.MemberID()
	if id == 0 {
		return errors.New("publish server: the store is not an embedded member")
	}
	b, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("publish server: %w", err)
	}
	if _, _, err := s.Txn(ctx, nil, []Op{Put(ServerKey(id), b)}); err != nil {
		return fmt.Errorf("publish server %q: %w", info.Node, err)
	}
	return nil
}

// Servers lists the cluster's members with what each published and which
// leads, ordered by node name (then member ID), and the revision of the
// read.
func (s *Store) Servers(ctx context.Context) ([]Server, int64, error) {
	members, err := s.Members(ctx)
	if err != nil {
		return nil, 0, err
	}
	leader, err := s.leaderID(ctx)
	if err != nil {
		return nil, 0, err
	}
	kvs, rev, err := s.List(ctx, FamilyKey(FamilyServers, ""))
	if err != nil {
		return nil, 0, err
	}
	return joinServers(members, kvs, leader), rev, nil
}

// joinServers pairs members with their published records.
func joinServers(members []Member, records []KV, leader uint64) []Server {
	infos := map[string]ServerInfo{}
	for _, kv := range records {
		var info ServerInfo
		if json.Unmarshal(kv.Value, &info) == nil {
			infos[strings.TrimPrefix(kv.Key, FamilyKey(FamilyServers, ""))] = info
		}
	}
	out := make([]Server, 0, len(members))
	for _, m := range members {
		sv := Server{Member: m, Leader: leader != 0 && m.ID == leader}
		sv.ServerInfo = infos[sv.MemberHex()]
		if sv.Node == "" {
			sv.Node = m.Name
		}
		out = append(out, sv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Node != out[j].Node {
			return out[i].Node < out[j].Node
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// leaderID is the member etcd reports as leader, 0 when there is none.
// With an external cluster the first endpoint that answers tells.
func (s *Store) leaderID(ctx context.Context) (uint64, error) {
	if s.etcd != nil {
		return uint64(s.etcd.Server.Leader()), nil
	}
	var errs []error
	for _, ep := range s.client.Endpoints() {
		sr, err := s.client.Status(ctx, ep)
		if err == nil {
			return sr.Leader, nil
		}
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("etcd status: %w", errors.Join(errs...))
	}
	return 0, nil
}

// FindServer picks the server named by id (node ID, etcd member ID in hex,
// or node name) or by address (API or peer host:port). Exactly one of id
// and address is used.
func FindServer(servers []Server, id, address string) (Server, error) {
	for _, sv := range servers {
		switch {
		case id != "" && (sv.NodeID == id || sv.MemberHex() == strings.ToLower(id) || sv.Node == id):
			return sv, nil
		case address != "" && (sv.Address == address || sameHostPort(sv.PeerURL, address)):
			return sv, nil
		}
	}
	if id != "" {
		return Server{}, fmt.Errorf("server id %q: %w", id, ErrMemberNotFound)
	}
	return Server{}, fmt.Errorf("server address %q: %w", address, ErrMemberNotFound)
}

func sameHostPort(rawURL, addr string) bool {
	h, err := parseHostPort(rawURL)
	return err == nil && h != "" && (h == addr || h == strings.TrimPrefix(strings.TrimPrefix(addr, "http://"), "https://"))
}

// RemoveServer removes a member from the cluster and its published record.
// It refuses to remove the last voter (ErrLastVoter).
func (s *Store) RemoveServer(ctx context.Context, sv Server) error {
	all, _, err := s.Servers(ctx)
	if err != nil {
		return err
	}
	voters := 0
	for _, o := range all {
		if o.Voter() {
			voters++
		}
	}
	if sv.Voter() && voters <= 1 {
		return fmt.Errorf("remove %s: %w", sv.Node, ErrLastVoter)
	}
	if err := s.RemoveMember(ctx, sv.ID); err != nil {
		return err
	}
	// An orphaned record is harmless (Servers lists members only), and
	// after removing itself this member cannot write any more.
	if _, _, err := s.Txn(ctx, nil, []Op{Del(ServerKey(sv.ID))}); err != nil {
		s.log.Warn("removed server's record stays behind", "node", sv.Node, "err", err)
	}
	return nil
}
