package acme

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/libdns/libdns"

	"github.com/orbit/orbit/internal/zone"
)

// Zones edits orbit's authoritative zones; *store.Store is the real one
// (a compare-and-swap on the zone, served by every orbit DNS server from
// its view).
type Zones interface {
	EditZone(ctx context.Context, name string, edit func(cur *zone.Detail) (zone.Change, error), now time.Time) (*zone.Zone, int64, error)
}

// challengeTTL is the TTL of an _acme-challenge TXT record: short, so a
// validator's cache does not keep a stale value across retries.
const challengeTTL = 60

// zoneProvider is the libdns provider certmagic's DNS-01 solver writes
// through: it adds and removes TXT values at a name of an orbit zone,
// keeping the values others put there (a wildcard and its apex share
// _acme-challenge.<apex>).
type zoneProvider struct {
	zones Zones
	clock clockwork.Clock
}

// AppendRecords adds the TXT records to zone z.
func (p zoneProvider) AppendRecords(ctx context.Context, z string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		if err := p.edit(ctx, z, r.RR(), true); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// DeleteRecords removes the TXT records from zone z.
func (p zoneProvider) DeleteRecords(ctx context.Context, z string, recs []libdns.Record) ([]libdns.Record, error) {
	for _, r := range recs {
		if err := p.edit(ctx, z, r.RR(), false); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

func (p zoneProvider) edit(ctx context.Context, z string, rr libdns.RR, add bool) error {
	if rr.Type != "TXT" {
		return fmt.Errorf("dns-01 in zone %s: record type %s: only TXT is written", z, rr.Type)
	}
	name, err := zone.Canonical(z)
	if err != nil {
		return fmt.Errorf("dns-01: zone %q: %w", z, err)
	}
	owner := strings.ToLower(libdns.AbsoluteName(rr.Name, name))
	if _, _, err := p.zones.EditZone(ctx, name, func(cur *zone.Detail) (zone.Change, error) {
		return txtChange(cur, owner, strconv.Quote(rr.Data), add), nil
	}, p.clock.Now()); err != nil {
		return fmt.Errorf("dns-01: %s TXT in zone %s: %w", owner, name, err)
	}
	return nil
}

// txtChange is the change that adds value to (or removes it from) the TXT
// set at owner of zone cur, keeping its other values; an absent zone is
// left to zone.Apply to refuse.
func txtChange(cur *zone.Detail, owner, value string, add bool) zone.Change {
	var values []string
	exists := false
	if cur != nil {
		for _, st := range cur.RRSets {
			if st.Name == owner && st.Type == "TXT" {
				values, exists = slices.Clone(st.Records), true
			}
		}
	}
	has := slices.Contains(values, value)
	switch {
	case add && !has:
		values = append(values, value)
	case !add && has:
		values = slices.DeleteFunc(values, func(v string) bool { return v == value })
	default:
		return zone.Change{} // already so: only the serial moves
	}
	if len(values) == 0 {
		if !exists {
			return zone.Change{}
		}
		return zone.Change{Delete: []zone.SetKey{{Name: owner, Type: "TXT"}}}
	}
	return zone.Change{Put: []zone.RRSet{{Name: owner, Type: "TXT", TTL: challengeTTL, Records: values}}}
}
