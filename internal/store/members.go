package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
)

// Member is one etcd member of the servers' cluster as etcd reports it.
type Member struct {
	ID uint64
	// Name is empty while an added member has not started yet.
	Name      string
	PeerURL   string
	ClientURL string // empty while the member has not started yet
	// Learner is true until the member is promoted to a voter.
	Learner bool
}

// Joiner adds a new member to an existing cluster as a learner and returns
// the cluster's members including the new one. A joining server reaches an
// existing server through it: in the agent over the first server's API, in
// tests by calling an existing Store, which implements it.
type Joiner interface {
	AddLearner(ctx context.Context, name, peerURL string) ([]Member, error)
}

var _ Joiner = (*Store)(nil)

// ErrLearnerPending is returned by AddLearner while another learner waits
// to be promoted: members join one at a time.
var ErrLearnerPending = errors.New("another member is joining; one learner at a time")

// ErrUnsettled is returned by AddLearner and RemoveMember while etcd refuses changes of
// membership because a voter is down or connected only moments ago.
var ErrUnsettled = errors.New("store cluster not settled (a member is down or connected moments ago); try again shortly")

// ErrMemberNotFound is returned by RemoveMember for an unknown member.
var ErrMemberNotFound = errors.New("no such member")

// Members lists the cluster's members.
func (s *Store) Members(ctx context.Context) ([]Member, error) {
	ml, err := s.client.MemberList(ctx)
	if err != nil {
		return nil, fmt.Errorf("etcd member list: %w", err)
	}
	return toMembers(ml.Members), nil
}

func toMembers(pbs []*etcdserverpb.Member) []Member {
	out := make([]Member, 0, len(pbs))
	for _, m := range pbs {
		out = append(out, toMember(m))
	}
	return out
}

func toMember(m *etcdserverpb.Member) Member {
	mb := Member{ID: m.ID, Name: m.Name, Learner: m.IsLearner}
	if len(m.PeerURLs) > 0 {
		mb.PeerURL = m.PeerURLs[0]
	}
	if len(m.ClientURLs) > 0 {
		mb.ClientURL = m.ClientURLs[0]
	}
	return mb
}

// AddLearner adds a member that will listen for peers on peerURL as a
// non-voting learner and returns the members to start it with. Asked again
// for a peer URL that is already a member (a retried join), it returns the
// members without adding. It refuses with ErrLearnerPending while another
// learner waits for its promotion.
func (s *Store) AddLearner(ctx context.Context, name, peerURL string) ([]Member, error) {
	if name == "" || peerURL == "" {
		return nil, errors.New("add learner: a name and a peer URL are required")
	}
	members, err := s.Members(ctx)
	if err != nil {
		return nil, fmt.Errorf("add learner %q: %w", name, err)
	}
	for _, m := range members {
		if m.PeerURL == peerURL {
			return withName(members, m.ID, name), nil
		}
		if m.Name == name {
			return nil, fmt.Errorf("add learner %q: a member of that name exists with peer URL %s", name, m.PeerURL)
		}
	}
	for _, m := range members {
		if m.Learner {
			return nil, fmt.Errorf("add learner %q: %w", name, ErrLearnerPending)
		}
	}
	resp, err := s.client.MemberAddAsLearner(ctx, []string{peerURL})
	if err != nil {
		switch msg := err.Error(); {
		case strings.Contains(msg, "too many learner"):
			return nil, fmt.Errorf("add learner %q: %w", name, ErrLearnerPending)
		case strings.Contains(msg, "unhealthy cluster"):
			return nil, fmt.Errorf("add learner %q: %w", name, ErrUnsettled)
		}
		return nil, fmt.Errorf("add learner %q at %s: %w", name, peerURL, err)
	}
	s.log.Info("added store member as learner", "name", name, "peer", peerURL, "id", fmt.Sprintf("%x", resp.Member.ID))
	return withName(toMembers(resp.Members), resp.Member.ID, name), nil
}

// withName names the not yet started member id.
func withName(members []Member, id uint64, name string) []Member {
	for i := range members {
		if members[i].ID == id {
			members[i].Name = name
		}
	}
	return members
}

// RemoveMember removes the member id from the cluster. etcd refuses to
// remove a voter when the rest would lack a healthy quorum.
func (s *Store) RemoveMember(ctx context.Context, id uint64) error {
	if _, err := s.client.MemberRemove(ctx, id); err != nil {
		switch msg := err.Error(); {
		case strings.Contains(msg, "member not found"):
			return fmt.Errorf("remove member %x: %w", id, ErrMemberNotFound)
		case strings.Contains(msg, "unhealthy cluster"), strings.Contains(msg, "not enough started members"):
			return fmt.Errorf("remove member %x: %w", id, ErrUnsettled)
		}
		return fmt.Errorf("remove member %x: %w", id, err)
	}
	s.log.Info("removed store member", "id", fmt.Sprintf("%x", id))
	return nil
}

// MemberID is this embedded member's etcd ID (0 when external).
func (s *Store) MemberID() uint64 {
	if s.etcd == nil {
		return 0
	}
	return uint64(s.etcd.Server.MemberID())
}

// initialCluster renders members as etcd's initial-cluster setting.
func initialCluster(members []Member) string {
	parts := make([]string, 0, len(members))
	for _, m := range members {
		parts = append(parts, m.Name+"="+m.PeerURL)
	}
	return strings.Join(parts, ",")
}

// joinCluster asks j to add this member as a learner, retrying while
// another learner is pending or the cluster is unsettled, and returns the
// initial-cluster setting.
func joinCluster(ctx context.Context, j Joiner, name, peerURL string, log *slog.Logger) (string, error) {
	wait := newBackoff()
	for {
		members, err := j.AddLearner(ctx, name, peerURL)
		if err == nil {
			return initialCluster(members), nil
		}
		if !errors.Is(err, ErrLearnerPending) && !errors.Is(err, ErrUnsettled) {
			return "", fmt.Errorf("join the servers' store: %w", err)
		}
		log.Info("store cluster not ready for a new member yet; retrying", "err", err)
		if err := wait(ctx); err != nil {
			return "", fmt.Errorf("join the servers' store: %w", err)
		}
	}
}

// promote asks the leader to make this learner a voter until it accepts:
// etcd refuses while the learner's log lags the leader's. It returns once
// this member has applied its own promotion: until then the local server
// still refuses client requests ("rpc not supported for learner").
func (s *Store) promote(ctx context.Context) error {
	id := s.MemberID()
	wait := newBackoff()
	promoted := false
	for s.etcd.Server.IsLearner() {
		if !promoted {
			_, err := s.client.MemberPromote(ctx, id)
			if err == nil {
				promoted = true
				s.log.Info("store member promoted to voter", "id", fmt.Sprintf("%x", id))
				continue
			}
			s.log.Debug("store member not promoted yet", "id", fmt.Sprintf("%x", id), "err", err)
		}
		if err := wait(ctx); err != nil {
			return fmt.Errorf("promote member %x: %w", id, err)
		}
	}
	return nil
}

// newBackoff returns a wait that doubles from 50 ms up to 1 s.
func newBackoff() func(context.Context) error {
	d := 50 * time.Millisecond
	return func(ctx context.Context) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		d = min(2*d, time.Second)
		return nil
	}
}
