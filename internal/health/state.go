package health

import (
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

// Thresholds are a check's consecutive-result thresholds, as Consul's
// success_before_passing, failures_before_warning and
// failures_before_critical. Zero values report every result at once.
type Thresholds struct {
	SuccessBeforePassing   int
	FailuresBeforeWarning  int
	FailuresBeforeCritical int
}

// thresholdsOf reads a definition's thresholds; failures_before_warning
// defaults to failures_before_critical, as in Consul.
func thresholdsOf(d *catalog.CheckDefinition) Thresholds {
	th := Thresholds{
		SuccessBeforePassing:   d.SuccessBeforePassing,
		FailuresBeforeWarning:  d.FailuresBeforeWarning,
		FailuresBeforeCritical: d.FailuresBeforeCritical,
	}
	if th.FailuresBeforeWarning == 0 {
		th.FailuresBeforeWarning = th.FailuresBeforeCritical
	}
	return th
}

// State is what the runner knows about one check between runs: the status
// it reports, the consecutive counters of Consul's StatusHandler, and since
// when the status has been critical (zero when it is not).
type State struct {
	Status        catalog.Status
	Successes     int
	Failures      int
	CriticalSince time.Time
}

// NewState is the state of a check that starts with status at now. As in
// Consul, the counters start at their thresholds, so the first result after
// a (re)start is reported at once; only a result that breaks a run of the
// opposite kind has to wait for its threshold.
func NewState(status catalog.Status, th Thresholds, now time.Time) State {
	s := State{Status: status, Successes: th.SuccessBeforePassing, Failures: th.FailuresBeforeCritical}
	if status == catalog.Critical {
		s.CriticalSince = now
	}
	return s
}

// Step applies one run's result to s. It returns the new state and whether
// the result is reported (the status, and with it the output, replaced);
// when it is not, the check keeps its previous status and output, as
// Consul's StatusHandler does below a threshold. Passing and warning results
// count as successes; a run of failures reports warning from
// FailuresBeforeWarning on and critical from FailuresBeforeCritical on.
func Step(s State, result catalog.Status, th Thresholds, now time.Time) (State, bool) {
	report := result
	if result == catalog.Passing || result == catalog.Warning {
		s.Successes++
		s.Failures = 0
		if s.Successes < th.SuccessBeforePassing {
			return s, false
		}
	} else {
		s.Failures++
		s.Successes = 0
		switch {
		case s.Failures >= th.FailuresBeforeCritical:
			report = catalog.Critical
		case s.Failures >= th.FailuresBeforeWarning:
			report = catalog.Warning
		default:
			return s, false
		}
	}
	return s.withStatus(report, now), true
}

// withStatus sets the status, starting or clearing the critical clock.
func (s State) withStatus(status catalog.Status, now time.Time) State {
	switch {
	case status != catalog.Critical:
		s.CriticalSince = time.Time{}
	case s.Status != catalog.Critical || s.CriticalSince.IsZero():
		s.CriticalSince = now
	}
	s.Status = status
	return s
}

// ReapAt is when a check in state s makes its service due for
// deregistration under deregister_critical_service_after = after. ok is
// false when the check is not critical or after is not positive.
func ReapAt(s State, after time.Duration) (at time.Time, ok bool) {
	if after <= 0 || s.Status != catalog.Critical || s.CriticalSince.IsZero() {
		return time.Time{}, false
	}
	return s.CriticalSince.Add(after), true
}
