package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNothingToReset is returned by ResetCluster for a data directory
// without a store member.
var ErrNothingToReset = errors.New("nothing to reset")

// ResetCluster makes the stopped member in cfg.DataDir the only member of
// a new cluster that keeps all its data, and stops it again: the recovery
// of a cluster that lost its quorum for good. The other servers' records
// are removed with their members; they rejoin (with empty data
// directories) as new members. It returns the member that remains.
func ResetCluster(ctx context.Context, cfg Config) (Member, error) {
	if len(cfg.Endpoints) > 0 {
		return Member{}, errors.New("cluster reset: only an embedded store can be reset (an external etcd has its own tools)")
	}
	cfg.ForceNewCluster = true
	cfg.Join = nil
	s, err := Open(ctx, cfg)
	if err != nil {
		return Member{}, fmt.Errorf("cluster reset: %w", err)
	}
	defer s.Close()
	members, err := s.Members(ctx)
	if err != nil {
		return Member{}, fmt.Errorf("cluster reset: %w", err)
	}
	var self Member
	for _, m := range members {
		if m.ID == s.MemberID() {
			self = m
		}
	}
	if len(members) != 1 || self.ID == 0 {
		return Member{}, fmt.Errorf("cluster reset: etcd still lists %d members", len(members))
	}
	kvs, _, err := s.List(ctx, FamilyKey(FamilyServers, ""))
	if err != nil {
		return Member{}, fmt.Errorf("cluster reset: %w", err)
	}
	var ops []Op
	for _, kv := range kvs {
		if kv.Key != ServerKey(self.ID) && strings.HasPrefix(kv.Key, FamilyKey(FamilyServers, "")) {
			ops = append(ops, Del(kv.Key))
		}
	}
	if len(ops) > 0 {
		if _, _, err := s.Txn(ctx, nil, ops); err != nil {
			return Member{}, fmt.Errorf("cluster reset: remove the other servers' records: %w", err)
		}
	}
	s.log.Info("store cluster reset to one member", "id", fmt.Sprintf("%x", self.ID), "peer", self.PeerURL, "removed_records", len(ops))
	return self, nil
}
