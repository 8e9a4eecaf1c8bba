package zone

import (
	"fmt"
	"slices"
	"time"
)

// Change is one atomic change to a zone.
type Change struct {
	// Create makes the zone with Settings; it fails with ErrExists when the
	// zone exists, unless Import is set.
	Create bool
	// Import creates the zone if missing and replaces all its record sets
	// with Put (and its settings with Settings when given).
	Import bool
	// Settings replaces the zone's settings (serial excepted) when non-nil.
	Settings *Zone
	// Put adds or replaces record sets; Delete removes them (each must exist).
	// Deletes apply before puts.
	Put    []RRSet
	Delete []SetKey
}

// Applied is a zone after a change.
type Applied struct {
	// Zone is the new settings with the bumped serial.
	Zone Zone
	// Sets is every record set of the zone after the change, normalized and
	// in SortSets order.
	Sets []RRSet
	// Touched lists, sorted and once each, the owner names whose record sets
	// the change may have altered (for an import: every old and new owner).
	// A store rewrites only what holds these names.
	Touched []string
}

// Apply decides change ch to zone name in pure code. cur is the zone as
// stored (nil when it does not exist); it is not modified, nor is ch. The
// result is validated as a whole (settings, every record set, CNAME
// conflicts) and carries a serial after both the old serial and any serial
// in ch.Settings (NextSerial at now). Errors wrap ErrInvalid, ErrNotFound or
// ErrExists.
func Apply(name string, cur *Detail, ch Change, now time.Time) (*Applied, error) {
	exists := cur != nil
	switch {
	case exists && ch.Create && !ch.Import:
		return nil, fmt.Errorf("zone %s: %w", name, ErrExists)
	case !exists && !ch.Create && !ch.Import:
		return nil, fmt.Errorf("zone %s: %w", name, ErrNotFound)
	}
	z, oldSerial, err := applySettings(name, cur, ch.Settings)
	if err != nil {
		return nil, err
	}
	z.Serial = NextSerial(oldSerial, now)

	sets := map[SetKey]RRSet{}
	touched := map[string]bool{}
	if exists {
		for _, st := range cur.RRSets {
			if ch.Import {
				touched[st.Name] = true
				continue
			}
			sets[st.Key()] = st
		}
	}
	for _, k := range ch.Delete {
		if _, ok := sets[k]; !ok {
			return nil, fmt.Errorf("record set %s %s in zone %s: %w", k.Name, k.Type, name, ErrNotFound)
		}
		delete(sets, k)
		touched[k.Name] = true
	}
	for _, in := range ch.Put {
		st := in // Normalize rewrites the set; the caller's stays as given
		if err := st.Normalize(name, z.TTL); err != nil {
			return nil, err
		}
		sets[st.Key()] = st
		touched[st.Name] = true
	}
	out := &Applied{Zone: z, Sets: make([]RRSet, 0, len(sets)), Touched: make([]string, 0, len(touched))}
	for _, st := range sets {
		out.Sets = append(out.Sets, st)
	}
	if err := CheckZone(name, out.Sets); err != nil {
		return nil, err
	}
	SortSets(out.Sets)
	for n := range touched {
		out.Touched = append(out.Touched, n)
	}
	slices.Sort(out.Touched)
	return out, nil
}

// applySettings returns the zone's settings after a change (serial not yet
// bumped) and the serial the bump starts from: the stored settings when
// the change keeps them, otherwise the given settings (or none, for a new
// zone) with defaults filled in and validated, their serial counting too.
func applySettings(name string, cur *Detail, settings *Zone) (Zone, uint32, error) {
	var old uint32
	if cur != nil {
		old = cur.Zone.Serial
		if settings == nil {
			return cur.Zone, old, nil
		}
	}
	z := Zone{Name: name}
	if settings != nil {
		z = *settings
		z.Name = name
		// Validate rewrites these in place; keep the caller's slices intact.
		z.AlsoNotify = slices.Clone(z.AlsoNotify)
		z.AllowTransfer = slices.Clone(z.AllowTransfer)
		z.TSIGKeys = slices.Clone(z.TSIGKeys)
		if z.DNSSEC != nil {
			d := *z.DNSSEC
			z.DNSSEC = &d
		}
	}
	z.SetDefaults()
	if err := z.Validate(); err != nil {
		return Zone{}, 0, err
	}
	return z, max(old, z.Serial), nil
}
