package zone

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestApply(t *testing.T) {
	const apex = "lab.example."
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	const today = 2026030700
	stored := func(serial uint32, sets ...RRSet) *Detail {
		z := Zone{Name: apex, Serial: serial}
		z.SetDefaults()
		z.TTL = 600
		return &Detail{Zone: z, RRSets: sets}
	}
	a := func(owner string, ttl uint32, ips ...string) RRSet {
		return RRSet{Name: owner, Type: "A", TTL: ttl, Records: ips}
	}
	www := a("www.lab.example.", 600, "10.0.0.1")
	mail := RRSet{Name: "lab.example.", Type: "MX", TTL: 600, Records: []string{"10 mail.lab.example."}}
	cname := RRSet{Name: "www.lab.example.", Type: "CNAME", TTL: 60, Records: []string{"web.lab.example."}}

	tests := []struct {
		name        string
		cur         *Detail
		ch          Change
		err         error
		serial, ttl uint32
		sets        []RRSet
		touched     []string
	}{
		{name: "create with defaults", ch: Change{Create: true},
			serial: today, ttl: DefaultTTL, sets: []RRSet{}, touched: []string{}},
		{name: "create with settings and records: new sets take the zone TTL",
			ch:     Change{Create: true, Settings: &Zone{TTL: 300}, Put: []RRSet{{Name: "www", Type: "a", Records: []string{"10.0.0.1"}}}},
			serial: today, ttl: 300, sets: []RRSet{a("www.lab.example.", 300, "10.0.0.1")}, touched: []string{"www.lab.example."}},
		{name: "create keeps a serial from the future", ch: Change{Create: true, Settings: &Zone{Serial: 2030010105}},
			serial: 2030010106, ttl: DefaultTTL, sets: []RRSet{}, touched: []string{}},
		{name: "create an existing zone", cur: stored(today), ch: Change{Create: true}, err: ErrExists},
		{name: "change a missing zone", ch: Change{Put: []RRSet{www}}, err: ErrNotFound},
		{name: "delete in a missing zone", ch: Change{Delete: []SetKey{www.Key()}}, err: ErrNotFound},
		{name: "invalid settings", ch: Change{Create: true, Settings: &Zone{AlsoNotify: []string{"ns1.other"}}}, err: ErrInvalid},
		{name: "settings on an existing zone keep its records and count its serial",
			cur: stored(2026030702, www), ch: Change{Settings: &Zone{Name: "ignored.example.", TTL: 120}},
			serial: 2026030703, ttl: 120, sets: []RRSet{www}, touched: []string{}},
		{name: "put adds a set and bumps the serial within the day", cur: stored(2026030705, www),
			ch:     Change{Put: []RRSet{{Name: "@", Type: "MX", Records: []string{"10 mail"}}}},
			serial: 2026030706, ttl: 600, sets: []RRSet{mail, www}, touched: []string{apex}},
		{name: "put replaces a set of the same name and type", cur: stored(2025010100, www),
			ch:     Change{Put: []RRSet{a("WWW", 30, "10.0.0.9", "10.0.0.8")}},
			serial: today, ttl: 600, sets: []RRSet{a("www.lab.example.", 30, "10.0.0.8", "10.0.0.9")}, touched: []string{"www.lab.example."}},
		{name: "the last of two puts of one set wins", cur: stored(today),
			ch:     Change{Put: []RRSet{a("www", 0, "10.0.0.1"), a("www", 0, "10.0.0.2")}},
			serial: today + 1, ttl: 600, sets: []RRSet{a("www.lab.example.", 600, "10.0.0.2")}, touched: []string{"www.lab.example."}},
		{name: "delete removes a set", cur: stored(today, mail, www), ch: Change{Delete: []SetKey{www.Key()}},
			serial: today + 1, ttl: 600, sets: []RRSet{mail}, touched: []string{"www.lab.example."}},
		{name: "delete a missing set", cur: stored(today, mail), ch: Change{Delete: []SetKey{www.Key()}}, err: ErrNotFound},
		{name: "delete the same set twice", cur: stored(today, www), ch: Change{Delete: []SetKey{www.Key(), www.Key()}}, err: ErrNotFound},
		{name: "delete then put of one set replaces it", cur: stored(today, www),
			ch:     Change{Delete: []SetKey{www.Key()}, Put: []RRSet{a("www", 0, "10.0.0.3")}},
			serial: today + 1, ttl: 600, sets: []RRSet{a("www.lab.example.", 600, "10.0.0.3")}, touched: []string{"www.lab.example."}},
		{name: "bad record data", cur: stored(today), ch: Change{Put: []RRSet{a("www", 0, "not-an-ip")}}, err: ErrInvalid},
		{name: "owner outside the zone", cur: stored(today), ch: Change{Put: []RRSet{a("www.other.org.", 0, "10.0.0.1")}}, err: ErrInvalid},
		{name: "CNAME beside an existing A", cur: stored(today, www), ch: Change{Put: []RRSet{cname}}, err: ErrInvalid},
		{name: "CNAME at the apex", cur: stored(today), ch: Change{Put: []RRSet{{Name: "@", Type: "CNAME", Records: []string{"x.example."}}}}, err: ErrInvalid},
		{name: "A swapped for a CNAME in one change", cur: stored(today, www),
			ch:     Change{Delete: []SetKey{www.Key()}, Put: []RRSet{cname}},
			serial: today + 1, ttl: 600, sets: []RRSet{cname}, touched: []string{"www.lab.example."}},
		{name: "import creates a missing zone", ch: Change{Import: true, Settings: &Zone{TTL: 900}, Put: []RRSet{mail}},
			serial: today, ttl: 900, sets: []RRSet{mail}, touched: []string{apex}},
		{name: "import replaces every set and touches old and new owners", cur: stored(2026030709, www),
			ch:     Change{Import: true, Create: true, Put: []RRSet{mail}},
			serial: 2026030710, ttl: 600, sets: []RRSet{mail}, touched: []string{apex, "www.lab.example."}},
		{name: "import with settings takes the higher serial", cur: stored(2026030709, www),
			ch:     Change{Import: true, Settings: &Zone{Serial: 2026050100, TTL: 60}, Put: []RRSet{a("www", 0, "10.0.0.4")}},
			serial: 2026050101, ttl: 60, sets: []RRSet{a("www.lab.example.", 60, "10.0.0.4")}, touched: []string{"www.lab.example."}},
		{name: "import deletes only from the new sets", cur: stored(today, www),
			ch: Change{Import: true, Delete: []SetKey{www.Key()}}, err: ErrNotFound},
		{name: "import of conflicting sets", ch: Change{Import: true, Put: []RRSet{www, cname}}, err: ErrInvalid},
		{name: "serial wraps past 2^32 into today's", cur: stored(0xffffffff), ch: Change{Put: []RRSet{www}},
			serial: today, ttl: 600, sets: []RRSet{www}, touched: []string{"www.lab.example."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Apply(apex, tt.cur, tt.ch, now)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if got != nil {
					t.Fatalf("result %+v beside error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Zone.Name != apex || got.Zone.Serial != tt.serial || got.Zone.TTL != tt.ttl {
				t.Errorf("zone = %s serial %d TTL %d, want %s serial %d TTL %d", got.Zone.Name, got.Zone.Serial, got.Zone.TTL, apex, tt.serial, tt.ttl)
			}
			if got.Zone.PrimaryNS != "ns1."+apex || got.Zone.Minimum == 0 {
				t.Errorf("zone defaults missing: %+v", got.Zone)
			}
			if !reflect.DeepEqual(got.Sets, tt.sets) {
				t.Errorf("sets = %+v, want %+v", got.Sets, tt.sets)
			}
			if !reflect.DeepEqual(got.Touched, tt.touched) {
				t.Errorf("touched = %q, want %q", got.Touched, tt.touched)
			}
		})
	}
}

// Apply decides from its inputs without changing them: a store retries it
// with the same change after a lost compare-and-swap.
func TestApplyLeavesInputsAlone(t *testing.T) {
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	cur := &Detail{Zone: Zone{Name: "lab.example.", Serial: 1, TTL: 600}, RRSets: []RRSet{{Name: "old.lab.example.", Type: "A", TTL: 60, Records: []string{"10.0.0.1"}}}}
	cur.Zone.SetDefaults()
	settings := &Zone{TTL: 300, AlsoNotify: []string{"10.0.0.53"}}
	ch := Change{Settings: settings, Put: []RRSet{{Name: "www", Type: "a", Records: []string{"10.0.0.2", "10.0.0.1"}}}}
	before := []string{cur.Zone.Name, cur.RRSets[0].Name, ch.Put[0].Name, ch.Put[0].Type, ch.Put[0].Records[0], settings.AlsoNotify[0]}
	first, err := Apply("lab.example.", cur, ch, now)
	if err != nil {
		t.Fatal(err)
	}
	after := []string{cur.Zone.Name, cur.RRSets[0].Name, ch.Put[0].Name, ch.Put[0].Type, ch.Put[0].Records[0], settings.AlsoNotify[0]}
	if !slices.Equal(before, after) || cur.Zone.Serial != 1 || settings.Name != "" || ch.Put[0].TTL != 0 {
		t.Fatalf("inputs changed: %q -> %q, serial %d, settings %+v", before, after, cur.Zone.Serial, settings)
	}
	second, err := Apply("lab.example.", cur, ch, now)
	if err != nil || !reflect.DeepEqual(first, second) {
		t.Fatalf("second Apply = %+v, %v; want %+v", second, err, first)
	}
	if first.Zone.AlsoNotify[0] != "10.0.0.53:53" {
		t.Fatalf("also-notify = %q", first.Zone.AlsoNotify)
	}
}
