package catalog

import "fmt"

// Status is the state of a health check, and the aggregated health of an
// instance or a node. The values are Consul's.
type Status string

// The statuses, from best to worst. Maintenance is reported by Consul for
// instances in maintenance mode and counts as critical.
const (
	Passing     Status = "passing"
	Warning     Status = "warning"
	Critical    Status = "critical"
	Maintenance Status = "maintenance"
)

// ParseStatus accepts one of Consul's status names.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case Passing, Warning, Critical, Maintenance:
		return Status(s), nil
	}
	return "", fmt.Errorf("invalid check status %q (want passing, warning or critical)", s)
}

func (s Status) rank() int {
	switch s {
	case Passing:
		return 0
	case Warning:
		return 1
	case Critical:
		return 2
	case Maintenance:
		return 3
	}
	return 2
}

// Worse returns the worse of two statuses (critical beats warning beats passing).
func Worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Aggregate is the health of an instance given all checks that apply to it
// (its own and its node's). With no checks it is passing, as in Consul.
func Aggregate(checks []*Check) Status {
	s := Passing
	for _, c := range checks {
		s = Worse(s, c.Status)
	}
	return s
}

// AtLeast reports whether s is as good as or better than min
// (passing ≥ warning ≥ critical).
func (s Status) AtLeast(min Status) bool { return s.rank() <= min.rank() }
