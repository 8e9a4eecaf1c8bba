package health

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/catalog"
)

const (
	P = catalog.Passing
	W = catalog.Warning
	C = catalog.Critical
)

func TestStepThresholds(t *testing.T) {
	tests := []struct {
		name    string
		th      Thresholds
		start   catalog.Status
		results []catalog.Status
		// want is the reported status after each result ("" = not reported).
		want []catalog.Status
		end  catalog.Status
	}{
		{"no thresholds report every result", Thresholds{}, C,
			[]catalog.Status{P, W, C, P}, []catalog.Status{P, W, C, P}, P},
		{"first result after start is reported at once", Thresholds{SuccessBeforePassing: 3}, C,
			[]catalog.Status{P}, []catalog.Status{P}, P},
		{"success_before_passing delays the return", Thresholds{SuccessBeforePassing: 2}, C,
			[]catalog.Status{P, C, P, P, P}, []catalog.Status{P, C, "", P, P}, P},
		{"warning results count as successes", Thresholds{SuccessBeforePassing: 2}, P,
			[]catalog.Status{C, W, W}, []catalog.Status{C, "", W}, W},
		{"failures_before_critical", Thresholds{FailuresBeforeCritical: 3, FailuresBeforeWarning: 3}, P,
			[]catalog.Status{P, C, C, C, C}, []catalog.Status{P, "", "", C, C}, C},
		{"a success breaks the failure run", Thresholds{FailuresBeforeCritical: 2, FailuresBeforeWarning: 2}, P,
			[]catalog.Status{P, C, P, C, C}, []catalog.Status{P, "", P, "", C}, C},
		{"failures_before_warning then critical", Thresholds{FailuresBeforeWarning: 1, FailuresBeforeCritical: 3}, P,
			[]catalog.Status{P, C, C, C}, []catalog.Status{P, W, W, C}, C},
		{"first failure after start is reported at once", Thresholds{FailuresBeforeCritical: 5, FailuresBeforeWarning: 5}, P,
			[]catalog.Status{C}, []catalog.Status{C}, C},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := clockwork.NewFakeClock()
			s := NewState(tt.start, tt.th, clk.Now())
			for i, r := range tt.results {
				var reported bool
				s, reported = Step(s, r, tt.th, clk.Now())
				got := catalog.Status("")
				if reported {
					got = s.Status
				}
				if got != tt.want[i] {
					t.Fatalf("result %d (%s): reported %q, want %q (state %+v)", i, r, got, tt.want[i], s)
				}
				clk.Advance(time.Second)
			}
			if s.Status != tt.end {
				t.Errorf("final status %q, want %q", s.Status, tt.end)
			}
		})
	}
}

func TestThresholdsDefaultWarningToCritical(t *testing.T) {
	th := thresholdsOf(&catalog.CheckDefinition{FailuresBeforeCritical: 4})
	if th.FailuresBeforeWarning != 4 {
		t.Fatalf("FailuresBeforeWarning = %d, want 4 (defaults to FailuresBeforeCritical)", th.FailuresBeforeWarning)
	}
	th = thresholdsOf(&catalog.CheckDefinition{FailuresBeforeCritical: 4, FailuresBeforeWarning: 2})
	if th.FailuresBeforeWarning != 2 {
		t.Fatalf("FailuresBeforeWarning = %d, want 2", th.FailuresBeforeWarning)
	}
}

func TestCriticalSinceAndReapAt(t *testing.T) {
	clk := clockwork.NewFakeClock()
	t0 := clk.Now()
	th := Thresholds{}
	s := NewState(C, th, t0)
	if at, ok := ReapAt(s, time.Minute); !ok || !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("registered critical: ReapAt = %v %v, want %v", at, ok, t0.Add(time.Minute))
	}
	clk.Advance(10 * time.Second)
	s, _ = Step(s, C, th, clk.Now())
	if !s.CriticalSince.Equal(t0) {
		t.Fatalf("staying critical moved CriticalSince to %v", s.CriticalSince)
	}
	s, _ = Step(s, P, th, clk.Now())
	if _, ok := ReapAt(s, time.Minute); ok || !s.CriticalSince.IsZero() {
		t.Fatalf("passing check still due for reaping: %+v", s)
	}
	clk.Advance(5 * time.Second)
	s, _ = Step(s, C, th, clk.Now())
	if at, ok := ReapAt(s, time.Minute); !ok || !at.Equal(clk.Now().Add(time.Minute)) {
		t.Fatalf("critical again: ReapAt = %v %v, want %v", at, ok, clk.Now().Add(time.Minute))
	}
	if _, ok := ReapAt(s, 0); ok {
		t.Fatal("ReapAt with no deregister_critical_service_after is due")
	}
	// A failure below the threshold does not start the critical clock.
	th = Thresholds{FailuresBeforeCritical: 2, FailuresBeforeWarning: 2}
	s = NewState(P, th, clk.Now())
	s, _ = Step(s, P, th, clk.Now())
	s, _ = Step(s, C, th, clk.Now())
	if _, ok := ReapAt(s, time.Minute); ok {
		t.Fatalf("failure below threshold made the check due: %+v", s)
	}
}
