package operator

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/store"
)

func srv(id uint64, voter, leader bool) store.Server {
	return store.Server{Member: store.Member{ID: id, Name: "s", Learner: !voter}, Leader: leader}
}

func TestAssess(t *testing.T) {
	now := time.Unix(1000, 0)
	cfg := store.DefaultAutopilotConfig()
	tests := []struct {
		name        string
		sv          store.Server
		ob          Observation
		leaderIndex uint64
		healthy     bool
		contact     time.Duration
	}{
		{"leader answering", srv(1, true, true), Observation{Answered: true, RTT: time.Second, Status: store.MemberStatus{RaftIndex: 10}}, 10, true, 0},
		{"follower fast", srv(2, true, false), Observation{Answered: true, RTT: 5 * time.Millisecond, Status: store.MemberStatus{RaftIndex: 9}}, 10, true, 5 * time.Millisecond},
		{"follower slow", srv(2, true, false), Observation{Answered: true, RTT: time.Second, Status: store.MemberStatus{RaftIndex: 10}}, 10, false, time.Second},
		{"follower trailing", srv(2, true, false), Observation{Answered: true, Status: store.MemberStatus{RaftIndex: 10}}, 261, false, 0},
		{"silent since", srv(3, true, false), Observation{LastAnswer: now.Add(-7 * time.Second)}, 10, false, 7 * time.Second},
		{"never answered", srv(3, true, false), Observation{Since: now.Add(-2 * time.Second)}, 10, false, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Assess(cfg, tt.sv, tt.ob, tt.leaderIndex, now)
			if st.Healthy != tt.healthy || st.LastContact != tt.contact {
				t.Fatalf("healthy %t contact %v, want %t %v", st.Healthy, st.LastContact, tt.healthy, tt.contact)
			}
		})
	}
}

func TestDeadServer(t *testing.T) {
	now := time.Unix(1000, 0)
	on := store.DefaultAutopilotConfig()
	on.CleanupDeadServers, on.DeadServerThreshold = true, 10*time.Second
	alive := Observation{Answered: true, LastAnswer: now}
	goneLong := Observation{LastAnswer: now.Add(-11 * time.Second)}
	goneShort := Observation{LastAnswer: now.Add(-3 * time.Second)}
	state := func(sv store.Server, ob Observation) ServerState { return Assess(on, sv, ob, 0, now) }
	type member struct {
		sv store.Server
		ob Observation
	}
	tests := []struct {
		name    string
		cfg     func(store.AutopilotConfig) store.AutopilotConfig
		members []member
		want    uint64 // 0: none
	}{
		{"one of three gone long", nil, []member{{srv(1, true, true), alive}, {srv(2, true, false), alive}, {srv(3, true, false), goneLong}}, 3},
		{"gone only briefly", nil, []member{{srv(1, true, true), alive}, {srv(2, true, false), alive}, {srv(3, true, false), goneShort}}, 0},
		{"clean-up off", func(c store.AutopilotConfig) store.AutopilotConfig { c.CleanupDeadServers = false; return c },
			[]member{{srv(1, true, true), alive}, {srv(2, true, false), alive}, {srv(3, true, false), goneLong}}, 0},
		{"min quorum kept", func(c store.AutopilotConfig) store.AutopilotConfig { c.MinQuorum = 3; return c },
			[]member{{srv(1, true, true), alive}, {srv(2, true, false), alive}, {srv(3, true, false), goneLong}}, 0},
		{"no majority of the rest answers", nil, []member{{srv(1, true, true), alive}, {srv(2, true, false), goneLong}, {srv(3, true, false), goneLong}, {srv(4, true, false), goneLong}, {srv(5, true, false), alive}}, 0},
		{"two of five gone", nil, []member{{srv(1, true, true), alive}, {srv(2, true, false), goneLong}, {srv(3, true, false), alive}, {srv(4, true, false), goneLong}, {srv(5, true, false), alive}}, 2},
		{"dead learner", nil, []member{{srv(1, true, true), alive}, {srv(9, false, false), goneLong}}, 9},
		{"never the last voter", nil, []member{{srv(1, true, false), goneLong}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := on
			if tt.cfg != nil {
				cfg = tt.cfg(cfg)
			}
			var states []ServerState
			obs := map[uint64]Observation{}
			for _, m := range tt.members {
				states = append(states, state(m.sv, m.ob))
				obs[m.sv.ID] = m.ob
			}
			sv, ok := DeadServer(cfg, states, obs, now)
			if got := map[bool]uint64{true: sv.ID}[ok]; got != tt.want {
				t.Fatalf("removes %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFailureTolerance(t *testing.T) {
	mk := func(healthy ...bool) []ServerState {
		var out []ServerState
		for i, h := range healthy {
			out = append(out, ServerState{Server: srv(uint64(i+1), true, i == 0), Healthy: h})
		}
		return out
	}
	for _, tt := range []struct {
		states []ServerState
		want   int
	}{{mk(true, true, true), 1}, {mk(true, true, false), 0}, {mk(true, true, true, true, true), 2}, {mk(true, false, false), 0}, {mk(true), 0}} {
		if got := FailureTolerance(tt.states); got != tt.want {
			t.Errorf("%d servers: tolerance %d, want %d", len(tt.states), got, tt.want)
		}
	}
}
