package catalog

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Session behaviours: what happens to the keys a session holds when it is
// invalidated (Consul's names).
const (
	BehaviorRelease = "release" // the keys stay, their lock is released
	BehaviorDelete  = "delete"  // the keys are deleted
)

// Session bounds, as Consul's.
const (
	SessionTTLMin    = 10 * time.Second
	SessionTTLMax    = 86400 * time.Second
	DefaultLockDelay = 15 * time.Second
	MaxLockDelay     = 60 * time.Second
	// lockDelaySeconds: a numeric LockDelay below it counts seconds, at or
	// above it nanoseconds (Consul's lockDelayMinThreshold).
	lockDelaySeconds = 1000
)

// ServiceCheck names a service check a session is bound to.
type ServiceCheck struct {
	ID        string
	Namespace string `json:",omitempty"`
}

// Session is a Consul session: a holder of KV locks that is invalidated
// when it is destroyed, when its TTL passes without a renewal, or when its
// node goes away.
type Session struct {
	ID            string
	Name          string `json:",omitempty"`
	Node          string
	LockDelay     time.Duration
	Behavior      string
	TTL           string         `json:",omitempty"` // "" or a duration in [SessionTTLMin, SessionTTLMax]
	NodeChecks    []string       `json:",omitempty"`
	ServiceChecks []ServiceCheck `json:",omitempty"`

	// CreateIndex and ModifyIndex come from the store.
	CreateIndex uint64 `json:"-"`
	ModifyIndex uint64 `json:"-"`
}

// TTLDuration is the session's TTL, 0 for none.
func (s *Session) TTLDuration() time.Duration {
	d, _ := ParseSessionTTL(s.TTL, time.Second)
	return d
}

// Validate checks the session's fields.
func (s *Session) Validate() error {
	if s.ID == "" {
		return fmt.Errorf("session has no ID")
	}
	if s.Node == "" {
		return fmt.Errorf("session %s: missing node", s.ID)
	}
	if s.Behavior != BehaviorRelease && s.Behavior != BehaviorDelete {
		return fmt.Errorf("session %s: invalid Behavior %q: must be %q or %q", s.ID, s.Behavior, BehaviorRelease, BehaviorDelete)
	}
	if s.LockDelay < 0 || s.LockDelay > MaxLockDelay {
		return fmt.Errorf("session %s: invalid LockDelay %v: must be between 0s and %v", s.ID, s.LockDelay, MaxLockDelay)
	}
	if _, err := ParseSessionTTL(s.TTL, time.Second); err != nil {
		return fmt.Errorf("session %s: %w", s.ID, err)
	}
	return nil
}

// ParseBehavior maps "" to release and refuses names other than Consul's.
func ParseBehavior(b string) (string, error) {
	switch b {
	case "":
		return BehaviorRelease, nil
	case BehaviorRelease, BehaviorDelete:
		return b, nil
	}
	return "", fmt.Errorf("invalid Behavior %q: must be %q or %q", b, BehaviorRelease, BehaviorDelete)
}

// ParseSessionTTL parses a session TTL: "" and "0s" mean none, anything
// else must be a duration between min (0 means SessionTTLMin, Consul's
// 10s) and 86400s.
func ParseSessionTTL(ttl string, min time.Duration) (time.Duration, error) {
	if min <= 0 {
		min = SessionTTLMin
	}
	if ttl == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(ttl)
	if err != nil {
		return 0, fmt.Errorf("invalid TTL %q: %v", ttl, err)
	}
	if d == 0 {
		return 0, nil
	}
	if d < min || d > SessionTTLMax {
		return 0, fmt.Errorf("invalid TTL %q: must be between %v and %v", ttl, min, SessionTTLMax)
	}
	return d, nil
}

// ParseLockDelay reads a JSON LockDelay as Consul does: a duration string
// ("15s", "15000ms"), or a number that counts seconds when below 1000 and
// nanoseconds otherwise. Absent (nil or null) means DefaultLockDelay. The
// result must be between 0s and MaxLockDelay.
func ParseLockDelay(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return DefaultLockDelay, nil
	}
	var d time.Duration
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, fmt.Errorf("invalid LockDelay %s: %v", s, err)
		}
		v, err := time.ParseDuration(str)
		if err != nil {
			return 0, fmt.Errorf("invalid LockDelay %q: %v", str, err)
		}
		d = v
	} else {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid LockDelay %s: want a duration string or a number", s)
		}
		if n < lockDelaySeconds {
			d = time.Duration(n * float64(time.Second))
		} else {
			d = time.Duration(n)
		}
	}
	if d < 0 || d > MaxLockDelay {
		return 0, fmt.Errorf("invalid LockDelay %v: must be between 0s and %v", d, MaxLockDelay)
	}
	return d, nil
}
