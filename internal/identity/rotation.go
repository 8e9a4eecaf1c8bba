package identity

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Policy is the key rotation policy. The zero value takes the defaults
// documented on each field.
type Policy struct {
	// RotationPeriod is how long a key signs before the next one takes
	// over (default 720h, Nomad's root_key_rotation_threshold).
	RotationPeriod time.Duration
	// PublishAhead is how long a new key is published before it signs, so
	// verifiers that cache the JWKS know it before they meet it (default 1h).
	PublishAhead time.Duration
	// MaxTokenTTL bounds the life of every signed token; a retired key stays
	// published this long after it stopped signing (default 72h).
	MaxTokenTTL time.Duration
}

// Default values of Policy.
const (
	DefaultRotationPeriod = 720 * time.Hour
	DefaultPublishAhead   = time.Hour
	DefaultMaxTokenTTL    = 72 * time.Hour
)

// withDefaults fills zero fields.
func (p Policy) withDefaults() Policy {
	if p.RotationPeriod == 0 {
		p.RotationPeriod = DefaultRotationPeriod
	}
	if p.PublishAhead == 0 {
		p.PublishAhead = DefaultPublishAhead
	}
	if p.MaxTokenTTL == 0 {
		p.MaxTokenTTL = DefaultMaxTokenTTL
	}
	return p
}

// Validate checks the policy (after defaults).
func (p Policy) Validate() error {
	p = p.withDefaults()
	switch {
	case p.RotationPeriod < 0 || p.PublishAhead < 0 || p.MaxTokenTTL < 0:
		return errors.New("identity: rotation durations must not be negative")
	case p.PublishAhead >= p.RotationPeriod:
		return fmt.Errorf("identity: publish_ahead %s must be shorter than the rotation period %s", p.PublishAhead, p.RotationPeriod)
	}
	return nil
}

// KeyInfo is what rotation needs to know of a key.
type KeyInfo struct {
	ID string
	// ActiveAt is when the key starts signing.
	ActiveAt time.Time
}

// Decision is the outcome of Decide.
type Decision struct {
	// Signer is the key that signs now; "" when there is none yet.
	Signer string
	// Published are the keys to publish, oldest first.
	Published []string
	// Drop are the keys no longer needed: retired, and every token they
	// signed has expired.
	Drop []string
	// Generate says a new key is due; it signs from NewActiveAt.
	Generate    bool
	NewActiveAt time.Time
}

// Decide is the rotation decision at now over keys (in any order):
//   - the signer is the key with the latest ActiveAt not after now (ties:
//     the greatest ID, so every server picks the same one);
//   - a key not active yet is published (it is the next key);
//   - a key that stopped signing at time T (when its successor became
//     active) stays published until T+MaxTokenTTL, then is dropped;
//   - a new key is due when there is no pending key and the signer is
//     within PublishAhead of the end of its period; it becomes active at the
//     end of the period, or PublishAhead from now if that is later. With no
//     key at all the first one signs at once (nobody can have cached a JWKS
//     without it).
func Decide(now time.Time, keys []KeyInfo, p Policy) Decision {
	p = p.withDefaults()
	ks := append([]KeyInfo(nil), keys...)
	sort.Slice(ks, func(i, j int) bool {
		if !ks[i].ActiveAt.Equal(ks[j].ActiveAt) {
			return ks[i].ActiveAt.Before(ks[j].ActiveAt)
		}
		return ks[i].ID < ks[j].ID
	})
	var d Decision
	signer := -1
	for i, k := range ks {
		if !k.ActiveAt.After(now) {
			signer = i
		}
	}
	pending := false
	for i, k := range ks {
		switch {
		case i > signer: // not active yet: the next key
			pending = true
			d.Published = append(d.Published, k.ID)
		case i == signer:
			d.Signer = k.ID
			d.Published = append(d.Published, k.ID)
		default: // retired when the next key became active
			if now.Before(ks[i+1].ActiveAt.Add(p.MaxTokenTTL)) {
				d.Published = append(d.Published, k.ID)
			} else {
				d.Drop = append(d.Drop, k.ID)
			}
		}
	}
	switch {
	case len(ks) == 0:
		d.Generate, d.NewActiveAt = true, now
	case signer >= 0 && !pending:
		end := ks[signer].ActiveAt.Add(p.RotationPeriod)
		if !now.Before(end.Add(-p.PublishAhead)) {
			d.Generate, d.NewActiveAt = true, end
			if soonest := now.Add(p.PublishAhead); soonest.After(end) {
				d.NewActiveAt = soonest
			}
		}
	}
	return d
}
