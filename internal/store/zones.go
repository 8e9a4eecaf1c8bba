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

// ChangeZone applies ch to zone name as one compare-and-swap: it reads the
// zone, lets zone.Apply decide the result (validation, serial bump), and
// writes the settings and the buckets holding touched owners only if
// nobody changed the zone meanwhile, retrying a few times. It returns the
// new settings and the store revision.
func (s *Store) ChangeZone(ctx context.Context, name string, ch zone.Change, now time.Time) (*zone.Zone, int64, error) {
	return s.EditZone(ctx, name, func(*zone.Detail) (zone.Change, error) { return ch, nil }, now)
}

// EditZone is ChangeZone with the change decided from the zone as read
// (nil when it does not exist): edit runs again on every retry, so a
// change that merges with the current records (adding a value to a TXT
// set) loses nobody's concurrent write.
func (s *Store) EditZone(ctx context.Context, name string, edit func(cur *zone.Detail) (zone.Change, error), now time.Time) (*zone.Zone, int64, error) {
	for attempt := 0; attempt < 5; attempt++ {
		cur, rev, err := s.readZoneDetail(ctx, name)
		if err != nil {
			return nil, 0, err
		}
		ch, err := edit(cur)
		if err != nil {
			return nil, 0, err
		}
		res, err := zone.Apply(name, cur, ch, now)
		if err != nil {
			return nil, 0, err
		}
		ok, wrote, err := s.Txn(ctx, []Cmp{{Key: ZoneKey(name), ModRevision: rev}}, zoneOps(name, res))
		if err != nil {
			return nil, 0, fmt.Errorf("change zone %s: %w", name, err)
		}
		if ok {
			return &res.Zone, wrote, nil
		}
	}
	return nil, 0, fmt.Errorf("change zone %s: %w", name, ErrConflict)
}

// readZoneDetail reads a zone for a change: nil and revision 0 when it does
// not exist.
func (s *Store) readZoneDetail(ctx context.Context, name string) (*zone.Detail, int64, error) {
	z, sets, rev, err := s.ReadZone(ctx, name)
	switch {
	case errors.Is(err, zone.ErrNotFound):
		return nil, 0, nil
	case err != nil:
		return nil, 0, err
	}
	return &zone.Detail{Zone: *z, RRSets: sets}, rev, nil
}

// zoneOps writes a changed zone: its settings, and every bucket holding a
// touched owner with that bucket's sets (deleted when none are left).
func zoneOps(name string, res *zone.Applied) []Op {
	touched := map[int]bool{}
	for _, owner := range res.Touched {
		touched[zoneBucket(owner)] = true
	}
	buckets := map[int][]zone.RRSet{}
	for _, st := range res.Sets {
		if b := zoneBucket(st.Name); touched[b] {
			buckets[b] = append(buckets[b], st)
		}
	}
	ops := make([]Op, 0, len(touched)+1)
	for b := range touched {
		if len(buckets[b]) == 0 {
			ops = append(ops, Del(ZoneBucketKey(name, b)))
			continue
		}
		ops = append(ops, Put(ZoneBucketKey(name, b), mustJSON(buckets[b])))
	}
	return append(ops, Put(ZoneKey(name), mustJSON(res.Zone)))
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
