package ha_test

import (
	"net/http"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// consul/api's autopilot client works against three servers: the
// configuration reads and writes (with its CAS), health and state name
// every server, and dead-server clean-up removes a killed server once it
// has been silent for the threshold, leaving a healthy cluster of two.
func TestAutopilotThroughConsulAPI(t *testing.T) {
	ss := newServers(t, 3)
	startAll(t, 3, ss[0])
	startAll(t, 3, ss[1])
	startAll(t, 3, ss[2])
	awaitOneLeader(t, ss, 60*time.Second)
	op := consulClient(t, ss[1].http).Operator()

	cfg, err := op.AutopilotGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CleanupDeadServers || cfg.LastContactThreshold.Duration() != 200*time.Millisecond ||
		cfg.MaxTrailingLogs != 250 || cfg.ServerStabilizationTime.Duration() != 10*time.Second {
		t.Fatalf("default autopilot configuration %+v", cfg)
	}
	// A generous contact threshold: the probes of a loaded machine are slow.
	cfg.LastContactThreshold = capi.NewReadableDuration(5 * time.Second)
	stale := *cfg
	if ok, err := op.AutopilotCASConfiguration(cfg, nil); err != nil || !ok {
		t.Fatalf("CAS from the read index: %t %v", ok, err)
	}
	if ok, err := op.AutopilotCASConfiguration(&stale, nil); err != nil || ok {
		t.Fatalf("CAS from a stale index: %t %v, want false", ok, err)
	}
	got, err := op.AutopilotGetConfiguration(nil)
	if err != nil || got.LastContactThreshold.Duration() != 5*time.Second || got.ModifyIndex == 0 {
		t.Fatalf("configuration after CAS %+v %v", got, err)
	}

	var health *capi.OperatorHealthReply
	orbittest.Eventually(t, 60*time.Second, "three healthy voters", func() bool {
		health, err = op.AutopilotServerHealth(nil)
		if err != nil || !health.Healthy || len(health.Servers) != 3 {
			return false
		}
		for _, s := range health.Servers {
			if !s.Voter {
				return false
			}
		}
		return true
	})
	if health.FailureTolerance != 1 {
		t.Fatalf("failure tolerance %d of three healthy servers, want 1", health.FailureTolerance)
	}
	leaders := 0
	for _, s := range health.Servers {
		if s.Leader {
			leaders++
		}
		if !s.Voter || s.SerfStatus != "alive" || s.Name == "" || s.Address == "" || s.LastIndex == 0 {
			t.Fatalf("server health %+v", s)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders in %+v", leaders, health.Servers)
	}
	state, err := op.AutopilotState(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Voters) != 3 || len(state.Servers) != 3 || state.Servers[state.Leader].Status != capi.AutopilotServerLeader {
		t.Fatalf("autopilot state %+v", state)
	}

	// Turn clean-up on with a short threshold (orbit's own field: raw).
	code, body := call(t, http.MethodPut, ss[1].url()+"/v1/operator/autopilot/configuration",
		`{"CleanupDeadServers": true, "LastContactThreshold": "5s", "MaxTrailingLogs": 250, "DeadServerThreshold": "3s"}`)
	if code != 200 || body != "true\n" && body != "true" {
		t.Fatalf("PUT configuration: %d %q", code, body)
	}
	// A follower of the store dies for good.
	var victim *server
	for _, s := range health.Servers {
		if !s.Leader {
			for _, sv := range ss {
				if sv.http == s.Address {
					victim = sv
				}
			}
		}
	}
	if victim == nil {
		t.Fatalf("no follower among %+v", health.Servers)
	}
	victim.kill(t)
	var survivor *server
	for _, s := range ss {
		if s.proc != nil {
			survivor = s
		}
	}
	op = consulClient(t, survivor.http).Operator()
	var last any
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last health: %+v", last)
			for _, s := range ss {
				if s.proc != nil {
					t.Logf("%s log:\n%s", s.name, s.proc.Log())
				}
			}
		}
	})
	orbittest.Eventually(t, 90*time.Second, "the dead server removed, two healthy left", func() bool {
		h, err := op.AutopilotServerHealth(nil)
		last = h
		if err != nil || !h.Healthy || len(h.Servers) != 2 {
			return false
		}
		for _, s := range h.Servers {
			if s.Address == victim.http {
				return false
			}
		}
		return true
	})
	peers, err := consulClient(t, survivor.http).Status().Peers()
	if err != nil || len(peers) != 2 {
		t.Fatalf("peers after clean-up: %v %v", peers, err)
	}
}
