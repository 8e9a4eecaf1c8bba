package routefeed

import (
	"slices"
	"time"

	"github.com/orbit/orbit/internal/routing"
)

// service is one catalog service's instances as routing sees them, with
// whether each instance may be damped (not in maintenance, node alive).
type service struct {
	name      string
	instances []routing.Instance
	dampable  []bool
}

// dampState is what damping remembers from one build to the next, keyed
// by "node/id".
type dampState struct {
	wasBackend map[string]bool      // a backend in the last build
	downSince  map[string]time.Time // when a damped backend turned unhealthy
}

// damp turns services into routing's input. An instance that was a
// backend in the previous build and is now unhealthy is presented as
// passing until it has been unhealthy for window, unless it is not
// dampable; window < 0 disables damping. It returns the input, the state
// for the next build and how long until the earliest grace period ends (0:
// none). It reads prev and svcs without modifying them.
func damp(prev dampState, svcs []service, now time.Time, window time.Duration, warningIsBackend bool) ([]routing.ServiceInstances, dampState, time.Duration) {
	next := dampState{wasBackend: make(map[string]bool, len(prev.wasBackend)), downSince: map[string]time.Time{}}
	out := make([]routing.ServiceInstances, 0, len(svcs))
	var wake time.Duration
	for _, s := range svcs {
		insts := s.instances
		copied := false
		for i, in := range insts {
			key := in.Node + "/" + in.ID
			if healthy(in.Status, warningIsBackend) {
				next.wasBackend[key] = true
				continue
			}
			if window < 0 || !prev.wasBackend[key] || !s.dampable[i] {
				continue
			}
			since, ok := prev.downSince[key]
			if !ok {
				since = now
			}
			left := since.Add(window).Sub(now)
			if left <= 0 {
				continue
			}
			if !copied {
				insts, copied = slices.Clone(insts), true
			}
			insts[i].Status = routing.StatusPassing
			next.wasBackend[key] = true
			next.downSince[key] = since
			if wake == 0 || left < wake {
				wake = left
			}
		}
		out = append(out, routing.ServiceInstances{Name: s.name, Instances: insts})
	}
	return out, next, wake
}

func healthy(st routing.Status, warningIsBackend bool) bool {
	return st == routing.StatusPassing || (st == routing.StatusWarning && warningIsBackend)
}
