package acme

import (
	"reflect"
	"testing"

	"github.com/orbit/orbit/internal/zone"
)

func TestTXTChange(t *testing.T) {
	const owner = "_acme-challenge.lab.example."
	detail := func(sets ...zone.RRSet) *zone.Detail { return &zone.Detail{RRSets: sets} }
	txt := func(vals ...string) zone.RRSet {
		return zone.RRSet{Name: owner, Type: "TXT", TTL: challengeTTL, Records: vals}
	}
	for _, tc := range []struct {
		name string
		cur  *zone.Detail
		val  string
		add  bool
		want zone.Change
	}{
		{"add to nothing", detail(), `"a"`, true, zone.Change{Put: []zone.RRSet{txt(`"a"`)}}},
		{"add beside another (wildcard and apex)", detail(txt(`"a"`)), `"b"`, true, zone.Change{Put: []zone.RRSet{txt(`"a"`, `"b"`)}}},
		{"add again", detail(txt(`"a"`)), `"a"`, true, zone.Change{}},
		{"remove one of two", detail(txt(`"a"`, `"b"`)), `"a"`, false, zone.Change{Put: []zone.RRSet{txt(`"b"`)}}},
		{"remove the last", detail(txt(`"a"`)), `"a"`, false, zone.Change{Delete: []zone.SetKey{{Name: owner, Type: "TXT"}}}},
		{"remove what is gone", detail(), `"a"`, false, zone.Change{}},
		{"other owners untouched", detail(zone.RRSet{Name: "x.lab.example.", Type: "TXT", Records: []string{`"a"`}}), `"a"`, false, zone.Change{}},
		{"no zone", nil, `"a"`, true, zone.Change{Put: []zone.RRSet{txt(`"a"`)}}},
	} {
		if got := txtChange(tc.cur, owner, tc.val, tc.add); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
