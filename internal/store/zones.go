package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/zone"
)

// FamilyZones holds authoritative DNS zones: per zone one settings key
// (<zone>/soa) and one key per record set (<zone>/rr/<name>/<TYPE>). Every
// change rewrites the settings key with a bumped serial in the same
// transaction, so readers see a zone and its serial change together.
const FamilyZones = "zones"

// ZoneKey is the key of a zone's settings.
func ZoneKey(name string) string { return FamilyKey(FamilyZones, name+"/soa") }

// ZoneSetKey is the key of one record set of a zone.
func ZoneSetKey(name string, k zone.SetKey) string {
	return FamilyKey(FamilyZones, name+"/rr/"+k.Name+"/"+k.Type)
}

// ZonePrefix holds a zone's settings and record sets.
func ZonePrefix(name string) string { return FamilyKey(FamilyZones, name+"/") }

// ZoneChange is one atomic change to a zone.
type ZoneChange struct {
	// Create makes the zone with Settings; it fails with zone.ErrExists when
	// the zone exists, unless Import is set.
	Create bool
	// Import creates the zone if missing and replaces all its record sets
	// with Put (and its settings with Settings when given).
	Import bool
	// Settings replaces the zone's settings (serial excepted) when non-nil.
	Settings *zone.Zone
	// Put adds or replaces record sets; Delete removes them (each must exist).
	Put    []zone.RRSet
	Delete []zone.SetKey
}

// ChangeZone applies ch to zone name in one transaction: it reads the zone,
// validates the result as a whole (names, CNAME conflicts), bumps the
// serial and writes only if nobody changed the zone meanwhile (retrying a
// few times). It returns the new settings and the store revision.
func (s *Store) ChangeZone(ctx context.Context, name string, ch ZoneChange, now time.Time) (*zone.Zone, int64, error) {
	for attempt := 0; attempt < 5; attempt++ {
		z, ops, cmp, err := s.planZoneChange(ctx, name, ch, now)
		if err != nil {
			return nil, 0, err
		}
		ok, rev, err := s.Txn(ctx, []Cmp{cmp}, ops)
		if err != nil {
			return nil, 0, fmt.Errorf("change zone %s: %w", name, err)
		}
		if ok {
			return z, rev, nil
		}
	}
	return nil, 0, fmt.Errorf("change zone %s: %w", name, ErrConflict)
}

func (s *Store) planZoneChange(ctx context.Context, name string, ch ZoneChange, now time.Time) (*zone.Zone, []Op, Cmp, error) {
	z, sets, rev, err := s.ReadZone(ctx, name)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, zone.ErrNotFound):
		return nil, nil, Cmp{}, err
	case exists && ch.Create && !ch.Import:
		return nil, nil, Cmp{}, fmt.Errorf("zone %s: %w", name, zone.ErrExists)
	case !exists && !ch.Create && !ch.Import:
		return nil, nil, Cmp{}, fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	oldSerial := uint32(0)
	if exists {
		oldSerial = z.Serial
	}
	if ch.Settings != nil || !exists {
		nz := zone.Zone{Name: name}
		if ch.Settings != nil {
			nz = *ch.Settings
			nz.Name = name
		}
		nz.SetDefaults()
		if err := nz.Validate(); err != nil {
			return nil, nil, Cmp{}, err
		}
		oldSerial = max(oldSerial, nz.Serial)
		z = &nz
	}
	z.Serial = zone.NextSerial(oldSerial, now)
	cur := map[zone.SetKey]zone.RRSet{}
	if !ch.Import {
		for _, st := range sets {
			cur[st.Key()] = st
		}
	}
	var ops []Op
	for _, k := range ch.Delete {
		if _, ok := cur[k]; !ok {
			return nil, nil, Cmp{}, fmt.Errorf("record set %s %s in zone %s: %w", k.Name, k.Type, name, zone.ErrNotFound)
		}
		delete(cur, k)
	}
	for i := range ch.Put {
		st := &ch.Put[i]
		if err := st.Normalize(name, z.TTL); err != nil {
			return nil, nil, Cmp{}, err
		}
		cur[st.Key()] = *st
	}
	all := make([]zone.RRSet, 0, len(cur))
	for _, st := range cur {
		all = append(all, st)
	}
	if err := zone.CheckZone(name, all); err != nil {
		return nil, nil, Cmp{}, err
	}
	if ch.Import {
		for _, st := range sets {
			if _, keep := cur[st.Key()]; !keep {
				ops = append(ops, Del(ZoneSetKey(name, st.Key())))
			}
		}
	}
	for _, k := range ch.Delete {
		ops = append(ops, Del(ZoneSetKey(name, k)))
	}
	for _, st := range ch.Put {
		ops = append(ops, Put(ZoneSetKey(name, st.Key()), mustJSON(cur[st.Key()])))
	}
	ops = append(ops, Put(ZoneKey(name), mustJSON(z)))
	return z, ops, Cmp{Key: ZoneKey(name), ModRevision: rev}, nil
}

// ReadZone reads a zone's settings and record sets (linearizable) with the
// mod revision of its settings key, or zone.ErrNotFound.
func (s *Store) ReadZone(ctx context.Context, name string) (*zone.Zone, []zone.RRSet, int64, error) {
	kvs, _, err := s.List(ctx, ZonePrefix(name))
	if err != nil {
		return nil, nil, 0, err
	}
	z, sets, rev, err := DecodeZone(name, kvs)
	if err != nil {
		return nil, nil, 0, err
	}
	return z, sets, rev, nil
}

// DecodeZone decodes the keys under ZonePrefix(name) (full keys, or the
// parts after the family as the view keeps them).
func DecodeZone(name string, kvs []KV) (*zone.Zone, []zone.RRSet, int64, error) {
	var z *zone.Zone
	var rev int64
	var sets []zone.RRSet
	for _, kv := range kvs {
		rest := strings.TrimPrefix(kv.Key, ZonePrefix(name))
		rest = strings.TrimPrefix(rest, name+"/")
		switch {
		case rest == "soa":
			z = new(zone.Zone)
			if err := json.Unmarshal(kv.Value, z); err != nil {
				return nil, nil, 0, fmt.Errorf("decode zone %s: %w", name, err)
			}
			rev = kv.ModRevision
		case strings.HasPrefix(rest, "rr/"):
			var st zone.RRSet
			if err := json.Unmarshal(kv.Value, &st); err != nil {
				return nil, nil, 0, fmt.Errorf("decode record set %s in zone %s: %w", rest, name, err)
			}
			sets = append(sets, st)
		}
	}
	if z == nil {
		return nil, nil, 0, fmt.Errorf("zone %s: %w", name, zone.ErrNotFound)
	}
	zone.SortSets(sets)
	return z, sets, rev, nil
}

// DeleteZone removes a zone and all its record sets; it reports whether
// the zone existed.
func (s *Store) DeleteZone(ctx context.Context, name string) (bool, int64, error) {
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: ZoneKey(name), ModRevision: 0}}, nil)
	if err != nil {
		return false, 0, fmt.Errorf("delete zone %s: %w", name, err)
	}
	if ok {
		return false, rev, nil
	}
	_, rev, err = s.Txn(ctx, nil, []Op{DelPrefix(ZonePrefix(name))})
	if err != nil {
		return false, 0, fmt.Errorf("delete zone %s: %w", name, err)
	}
	return true, rev, nil
}
