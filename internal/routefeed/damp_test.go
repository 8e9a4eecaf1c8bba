package routefeed

import (
	"testing"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

func TestDamp(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const window = 10 * time.Second
	inst := func(st routing.Status) []routing.Instance {
		return []routing.Instance{{ID: "a", Node: "n", Status: st}}
	}
	for _, tc := range []struct {
		name       string
		prev       dampState
		status     routing.Status
		dampable   bool
		now        time.Time
		window     time.Duration
		warning    bool
		wantStatus routing.Status
		wantWake   time.Duration
		wantSince  bool // next.downSince holds the instance
		wantBack   bool // next.wasBackend holds the instance
	}{
		{name: "passing is a backend", status: routing.StatusPassing, dampable: true, now: t0, window: window,
			wantStatus: routing.StatusPassing, wantBack: true},
		{name: "critical, never a backend: not damped", status: routing.StatusCritical, dampable: true, now: t0, window: window,
			wantStatus: routing.StatusCritical},
		{name: "backend turns critical: damped for the window", prev: dampState{wasBackend: map[string]bool{"n/a": true}},
			status: routing.StatusCritical, dampable: true, now: t0, window: window,
			wantStatus: routing.StatusPassing, wantWake: window, wantSince: true, wantBack: true},
		{name: "still critical later: the rest of the window", prev: dampState{wasBackend: map[string]bool{"n/a": true}, downSince: map[string]time.Time{"n/a": t0}},
			status: routing.StatusCritical, dampable: true, now: t0.Add(4 * time.Second), window: window,
			wantStatus: routing.StatusPassing, wantWake: 6 * time.Second, wantSince: true, wantBack: true},
		{name: "window over: leaves", prev: dampState{wasBackend: map[string]bool{"n/a": true}, downSince: map[string]time.Time{"n/a": t0}},
			status: routing.StatusCritical, dampable: true, now: t0.Add(window), window: window,
			wantStatus: routing.StatusCritical},
		{name: "maintenance or lost node: never damped", prev: dampState{wasBackend: map[string]bool{"n/a": true}},
			status: routing.StatusCritical, dampable: false, now: t0, window: window,
			wantStatus: routing.StatusCritical},
		{name: "damping off", prev: dampState{wasBackend: map[string]bool{"n/a": true}},
			status: routing.StatusCritical, dampable: true, now: t0, window: -1,
			wantStatus: routing.StatusCritical},
		{name: "warning is a backend when configured", status: routing.StatusWarning, dampable: true, now: t0, window: window, warning: true,
			wantStatus: routing.StatusWarning, wantBack: true},
		{name: "warning from a backend is damped otherwise", prev: dampState{wasBackend: map[string]bool{"n/a": true}},
			status: routing.StatusWarning, dampable: true, now: t0, window: window,
			wantStatus: routing.StatusPassing, wantWake: window, wantSince: true, wantBack: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []service{{name: "web", instances: inst(tc.status), dampable: []bool{tc.dampable}}}
			out, next, wake := damp(tc.prev, in, tc.now, tc.window, tc.warning)
			if len(out) != 1 || len(out[0].Instances) != 1 {
				t.Fatalf("out = %+v", out)
			}
			if got := out[0].Instances[0].Status; got != tc.wantStatus {
				t.Errorf("status = %v, want %v", got, tc.wantStatus)
			}
			if in[0].instances[0].Status != tc.status {
				t.Error("damp modified its input")
			}
			if wake != tc.wantWake {
				t.Errorf("wake = %v, want %v", wake, tc.wantWake)
			}
			if _, ok := next.downSince["n/a"]; ok != tc.wantSince {
				t.Errorf("downSince holds the instance: %v, want %v", ok, tc.wantSince)
			}
			if next.wasBackend["n/a"] != tc.wantBack {
				t.Errorf("wasBackend = %v, want %v", next.wasBackend["n/a"], tc.wantBack)
			}
		})
	}
}
