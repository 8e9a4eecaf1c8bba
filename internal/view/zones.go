package view

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/zone"
)

// Zone is an authoritative DNS zone as stored: its settings, every record
// set (sorted as zone.SortSets sorts) and the revision of its settings
// key, which every change of the zone rewrites.
type Zone struct {
	Name string // the apex, as keyed in the store
	Zone *zone.Zone
	Sets []zone.RRSet
	Rev  int64
}

// zoneState is one zone's decoded keys; the View's mu guards it.
type zoneState struct {
	soa     *zone.Zone
	soaRev  int64
	buckets map[string][]zone.RRSet // bucket ("rr/xx") → its record sets
	built   *Zone                   // nil until rebuilt after a change
}

// applyZone decodes one key of the zones family: <apex>/soa or
// <apex>/rr/<bucket>. The zone's merged record sets are rebuilt once at
// the end of the batch (finishZonesLocked).
func (v *View) applyZone(parts []string, ev store.Event, rev uint64) {
	if len(parts) < 2 {
		return
	}
	apex, rest := parts[0], parts[1]
	if len(parts) == 3 && parts[1] == "rr" {
		rest = "rr/" + parts[2]
	}
	zs := v.zones[apex]
	if zs == nil {
		zs = &zoneState{buckets: map[string][]zone.RRSet{}}
		v.zones[apex] = zs
	}
	switch {
	case rest == "soa" && ev.Delete:
		zs.soa, zs.soaRev = nil, 0
	case rest == "soa":
		z := new(zone.Zone)
		if err := json.Unmarshal(ev.KV.Value, z); err != nil {
			v.log.Error("skip undecodable zone", "key", ev.KV.Key, "err", err)
			return
		}
		zs.soa, zs.soaRev = z, ev.KV.ModRevision
	case len(parts) == 3 && ev.Delete:
		delete(zs.buckets, rest)
	case len(parts) == 3:
		var sets []zone.RRSet
		if err := json.Unmarshal(ev.KV.Value, &sets); err != nil {
			v.log.Error("skip undecodable record sets", "key", ev.KV.Key, "err", err)
			return
		}
		zs.buckets[rest] = sets
	default:
		return
	}
	zs.built = nil
	if zs.soa == nil && len(zs.buckets) == 0 {
		delete(v.zones, apex)
	}
	v.dirtyZones[apex] = true
	v.bumpLocked(ZoneRes(apex), rev)
	v.bumpLocked(FamilyRes(store.FamilyZones), rev)
}

// finishZonesLocked merges the record sets of every zone changed in the
// batch, once.
func (v *View) finishZonesLocked() {
	for apex := range v.dirtyZones {
		delete(v.dirtyZones, apex)
		zs := v.zones[apex]
		if zs == nil || zs.soa == nil {
			continue
		}
		var sets []zone.RRSet
		for _, b := range zs.buckets {
			sets = append(sets, b...)
		}
		zone.SortSets(sets)
		zs.built = &Zone{Name: apex, Zone: zs.soa, Sets: sets, Rev: zs.soaRev}
	}
}

// Zone returns one authoritative zone by its apex ("lab.example.").
func (v *View) Zone(apex string) (*Zone, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	zs := v.zones[apex]
	if zs == nil || zs.built == nil {
		return nil, false
	}
	return zs.built, true
}

// Zones lists every authoritative zone, sorted by apex.
func (v *View) Zones() []*Zone {
	v.mu.RLock()
	defer v.mu.RUnlock()
	out := make([]*Zone, 0, len(v.zones))
	for _, zs := range v.zones {
		if zs.built != nil {
			out = append(out, zs.built)
		}
	}
	slices.SortFunc(out, func(a, b *Zone) int { return strings.Compare(a.Name, b.Name) })
	return out
}
