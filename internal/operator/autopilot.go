package operator

import (
	"time"

	"github.com/orbit/orbit/internal/store"
)

// Observation is what the autopilot monitor learned of one member by
// asking it for its status.
type Observation struct {
	// Answered is true when the latest probe answered.
	Answered bool
	// LastAnswer is when a probe last answered; zero: never.
	LastAnswer time.Time
	// Since is when the monitor first saw the member.
	Since time.Time
	// RTT is the latest answer's round trip.
	RTT    time.Duration
	Status store.MemberStatus
}

// ServerState is one server as autopilot judges it.
type ServerState struct {
	store.Server
	// LastContact is how long the server has gone unheard: the latest
	// answer's round trip while it answers, else the time since it last
	// answered (or since it was first seen). The leader's is 0.
	LastContact time.Duration
	Answered    bool
	Healthy     bool
	StableSince time.Time
	LastIndex   uint64
	LastTerm    uint64
	Version     string
}

// lastContact is how long the server has gone unheard at now.
func lastContact(sv store.Server, ob Observation, now time.Time) time.Duration {
	switch {
	case sv.Leader && ob.Answered:
		return 0
	case ob.Answered:
		return ob.RTT
	case !ob.LastAnswer.IsZero():
		return now.Sub(ob.LastAnswer)
	case !ob.Since.IsZero():
		return now.Sub(ob.Since)
	}
	return 0
}

// Assess judges one server: healthy when its latest probe answered within
// LastContactThreshold and its log trails the leader's by at most
// MaxTrailingLogs entries.
func Assess(cfg store.AutopilotConfig, sv store.Server, ob Observation, leaderIndex uint64, now time.Time) ServerState {
	st := ServerState{Server: sv, Answered: ob.Answered, LastContact: lastContact(sv, ob, now),
		LastIndex: ob.Status.RaftIndex, LastTerm: ob.Status.RaftTerm, Version: ob.Status.Version}
	trailing := uint64(0)
	if leaderIndex > ob.Status.RaftIndex {
		trailing = leaderIndex - ob.Status.RaftIndex
	}
	st.Healthy = ob.Answered && st.LastContact <= cfg.LastContactThreshold && trailing <= cfg.MaxTrailingLogs
	return st
}

// FailureTolerance is how many voters may fail with a quorum left: the
// healthy voters beyond a majority of all voters.
func FailureTolerance(states []ServerState) int {
	voters, healthy := 0, 0
	for _, st := range states {
		if st.Voter() {
			voters++
			if st.Healthy {
				healthy++
			}
		}
	}
	return max(0, healthy-(voters/2+1))
}

// dead reports whether the server has not answered for the threshold.
func dead(cfg store.AutopilotConfig, st ServerState, ob Observation, now time.Time) bool {
	if ob.Answered {
		return false
	}
	from := ob.LastAnswer
	if from.IsZero() {
		from = ob.Since
	}
	return !from.IsZero() && now.Sub(from) >= cfg.DeadServerThreshold
}

// DeadServer picks the one server clean-up removes now, if any: a server
// that has not answered for DeadServerThreshold, when CleanupDeadServers
// is on and its removal leaves a majority of the remaining voters
// answering and at least MinQuorum voters (a learner may always go).
func DeadServer(cfg store.AutopilotConfig, states []ServerState, obs map[uint64]Observation, now time.Time) (store.Server, bool) {
	if !cfg.CleanupDeadServers {
		return store.Server{}, false
	}
	voters, answering := 0, 0
	for _, st := range states {
		if st.Voter() {
			voters++
			if st.Answered {
				answering++
			}
		}
	}
	for _, st := range states {
		if !dead(cfg, st, obs[st.ID], now) {
			continue
		}
		if !st.Voter() {
			return st.Server, true
		}
		left := voters - 1
		if left < 1 || uint(left) < cfg.MinQuorum || answering < left/2+1 {
			continue
		}
		return st.Server, true
	}
	return store.Server{}, false
}
