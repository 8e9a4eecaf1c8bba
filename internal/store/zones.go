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
// (<zone>/soa) and up to ZoneBuckets keys (<zone>/rr/<xx>) each holding the
// record sets of the owner names that hash to it. Buckets keep a whole-zone
// import within etcd's limit of operations per transaction while a change
// rewrites only the buckets it touches. Every change rewrites the settings
// key with a bumped serial in the same transaction, so readers see a zone,
// its records and its serial change together.
const FamilyZones = "zones"

// ZoneBuckets is the number of record-set buckets per zone.
const ZoneBuckets = 64

// ZoneKey is the key of a zone's settings.
func ZoneKey(name string) string { return FamilyKey(FamilyZones, name+"/soa") }

// ZoneBucketKey is the key of one bucket of a zone's record sets.
func ZoneBucketKey(name string, bucket int) string {
	return FamilyKey(FamilyZones, fmt.Sprintf("%s/rr/%02x", name, bucket))
}

// zoneBucket is the bucket of an owner name (FNV-1a).
func zoneBucket(owner string) int {
	h := uint32(2166136261)
	for i := 0; i < len(owner); i++ {
		h ^= uint32(owner[i])
		h *= 16777619
	}
	return int(h % ZoneBuckets)
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
	touched := map[int]bool{}
	if ch.Import {
		for _, st := range sets {
			touched[zoneBucket(st.Name)] = true
		}
	}
	for _, k := range ch.Delete {
		touched[zoneBucket(k.Name)] = true
	}
	for _, st := range ch.Put {
		touched[zoneBucket(st.Name)] = true
	}
	buckets := map[int][]zone.RRSet{}
	for _, st := range all {
		if b := zoneBucket(st.Name); touched[b] {
			buckets[b] = append(buckets[b], st)
		}
	}
	for b := range touched {
		if len(buckets[b]) == 0 {
			ops = append(ops, Del(ZoneBucketKey(name, b)))
			continue
		}
		zone.SortSets(buckets[b])
		ops = append(ops, Put(ZoneBucketKey(name, b), mustJSON(buckets[b])))
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
			var bucket []zone.RRSet
			if err := json.Unmarshal(kv.Value, &bucket); err != nil {
				return nil, nil, 0, fmt.Errorf("decode record sets %s of zone %s: %w", rest, name, err)
			}
			sets = append(sets, bucket...)
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
