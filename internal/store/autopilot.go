package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// autopilotKey holds the servers' autopilot configuration (Consul's
// /v1/operator/autopilot/configuration), one record for the cluster.
func autopilotKey() string { return FamilyKey("autopilot", "config") }

// AutopilotConfig is the stored autopilot configuration. The zero value is
// not the default: DefaultAutopilotConfig is.
type AutopilotConfig struct {
	// CleanupDeadServers removes a server's member once it has not
	// answered for DeadServerThreshold, when a quorum is left.
	CleanupDeadServers bool
	// LastContactThreshold is how long a server may go unheard before it
	// counts as unhealthy.
	LastContactThreshold time.Duration
	// MaxTrailingLogs is how far (in raft entries) a server's log may lag
	// the leader's and still count as healthy.
	MaxTrailingLogs uint64
	// MinQuorum is the fewest voters clean-up leaves.
	MinQuorum uint
	// ServerStabilizationTime is how long a server must be healthy to
	// count as stable.
	ServerStabilizationTime time.Duration
	// DeadServerThreshold is how long a server must not answer before
	// clean-up removes it (orbit's own; Consul's servers learn of a dead
	// peer through Serf).
	DeadServerThreshold time.Duration
	// RedundancyZoneTag, DisableUpgradeMigration and UpgradeVersionTag are
	// kept for Consul's clients; orbit does not act on them.
	RedundancyZoneTag       string
	DisableUpgradeMigration bool
	UpgradeVersionTag       string
	// ModifyIndex and CreateIndex are the record's etcd revisions (0 while
	// the defaults were never written).
	CreateIndex, ModifyIndex int64 `json:"-"`
}

// DefaultAutopilotConfig is what the servers use until a configuration is
// written. Dead-server clean-up is off: a removed etcd member cannot come
// back with its old data, so a server that is only down for a while (a
// reboot, an upgrade) would have to rejoin with an empty data directory.
func DefaultAutopilotConfig() AutopilotConfig {
	return AutopilotConfig{
		LastContactThreshold:    200 * time.Millisecond,
		MaxTrailingLogs:         250,
		ServerStabilizationTime: 10 * time.Second,
		DeadServerThreshold:     5 * time.Minute,
	}
}

// Validate rejects settings the servers cannot act on.
func (c AutopilotConfig) Validate() error {
	switch {
	case c.LastContactThreshold <= 0:
		return errors.New("LastContactThreshold must be positive")
	case c.ServerStabilizationTime < 0:
		return errors.New("ServerStabilizationTime must not be negative")
	case c.DeadServerThreshold < time.Second:
		return errors.New("DeadServerThreshold must be at least 1s")
	}
	return nil
}

// decodeAutopilotConfig is the one decoder of the stored configuration.
func decodeAutopilotConfig(kv KV) (AutopilotConfig, error) {
	c := DefaultAutopilotConfig()
	if err := json.Unmarshal(kv.Value, &c); err != nil {
		return AutopilotConfig{}, fmt.Errorf("decode autopilot configuration: %w", err)
	}
	c.CreateIndex, c.ModifyIndex = kv.CreateRevision, kv.ModRevision
	return c, nil
}

// AutopilotConfig reads the autopilot configuration, or the defaults.
func (s *Store) AutopilotConfig(ctx context.Context) (AutopilotConfig, error) {
	kv, err := s.Get(ctx, autopilotKey())
	if errors.Is(err, ErrNotFound) {
		return DefaultAutopilotConfig(), nil
	}
	if err != nil {
		return AutopilotConfig{}, fmt.Errorf("read autopilot configuration: %w", err)
	}
	return decodeAutopilotConfig(kv)
}

// SetAutopilotConfig writes c. With cas set it writes only while the
// record's ModifyIndex is casIndex (0: never written) and reports whether
// it did.
func (s *Store) SetAutopilotConfig(ctx context.Context, c AutopilotConfig, cas bool, casIndex int64) (bool, error) {
	if err := c.Validate(); err != nil {
		return false, fmt.Errorf("autopilot configuration: %w", err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return false, fmt.Errorf("write autopilot configuration: %w", err)
	}
	var cmps []Cmp
	if cas {
		cmps = []Cmp{{Key: autopilotKey(), ModRevision: casIndex}}
	}
	ok, _, err := s.Txn(ctx, cmps, []Op{Put(autopilotKey(), b)})
	if err != nil {
		return false, fmt.Errorf("write autopilot configuration: %w", err)
	}
	return ok, nil
}

// MemberStatus is what one member says about itself.
type MemberStatus struct {
	ID        uint64
	Leader    uint64 // the member it follows, 0 for none
	RaftIndex uint64
	RaftTerm  uint64
	Learner   bool
	Version   string // etcd's version
}

// probeClient is a network client for asking members for their status:
// the embedded member's in-process client answers every status request
// itself, whatever endpoint it is given.
type probeClient struct {
	tls    *tls.Config // the member's own certificate when it serves TLS
	mu     sync.Mutex  // guards client
	client *clientv3.Client
}

func (p *probeClient) get(clientURL string) (*clientv3.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		return p.client, nil
	}
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 2 * time.Second, TLS: p.tls})
	if err != nil {
		return nil, fmt.Errorf("status client: %w", err)
	}
	p.client = c
	return c, nil
}

func (p *probeClient) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
}

// MemberStatus asks the member listening on clientURL for its status.
func (s *Store) MemberStatus(ctx context.Context, clientURL string) (MemberStatus, error) {
	c := s.client
	if s.etcd != nil {
		var err error
		if c, err = s.probes.get(s.clientURL); err != nil {
			return MemberStatus{}, err
		}
	}
	sr, err := c.Status(ctx, clientURL)
	if err != nil {
		return MemberStatus{}, fmt.Errorf("status of %s: %w", clientURL, err)
	}
	return MemberStatus{ID: sr.Header.MemberId, Leader: sr.Leader, RaftIndex: sr.RaftIndex,
		RaftTerm: sr.RaftTerm, Learner: sr.IsLearner, Version: sr.Version}, nil
}
