package api

import (
	"math"
	"strings"
	"testing"
)

func TestEventIndex(t *testing.T) {
	cases := []struct {
		id   string
		want uint64
	}{
		// lower = 0x00000001_0002_0003, upper = 0x0004_000000000005
		{"00000001-0002-0003-0004-000000000005", 0x0000000100020003 ^ 0x0004000000000005},
		{"ffffffff-ffff-ffff-0000-000000000000", 0xffffffffffffffff},
		{"short", 0},
	}
	for _, tc := range cases {
		if got := eventIndex(tc.id); got != tc.want {
			t.Errorf("eventIndex(%q) = %x, want %x", tc.id, got, tc.want)
		}
	}
	id, err := newUUID()
	if err != nil || len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 {
		t.Fatalf("newUUID = %q %v", id, err)
	}
}

func TestEventValidate(t *testing.T) {
	cases := []struct {
		e    eventJSON
		want string
	}{
		{eventJSON{Name: "x"}, ""},
		{eventJSON{}, "User event missing name"},
		{eventJSON{Name: "x", TagFilter: "v1"}, "Cannot provide tag filter without service filter"},
		{eventJSON{Name: "x", NodeFilter: "("}, "Invalid node filter"},
		{eventJSON{Name: "x", Payload: make([]byte, 512)}, "exceeds configured limit of 512 bytes"},
	}
	for _, tc := range cases {
		err := tc.e.validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.e, err, tc.want)
		}
	}
}

func TestCoordinateValidate(t *testing.T) {
	good := func() *coordJSON { return &coordJSON{Vec: []float64{0, 0}, Error: 1.5, Height: 1e-5} }
	nan := good()
	nan.Vec[1] = math.NaN()
	inf := good()
	inf.Height = math.Inf(1)
	cases := []struct {
		e    coordEntryJSON
		want string
	}{
		{coordEntryJSON{Node: "n", Coord: good()}, ""},
		{coordEntryJSON{Coord: good()}, "Must provide node"},
		{coordEntryJSON{Node: "a/b", Coord: good()}, "invalid node name"},
		{coordEntryJSON{Node: "n"}, "Must provide coordinate"},
		{coordEntryJSON{Node: "n", Coord: &coordJSON{}}, "invalid coordinate"},
		{coordEntryJSON{Node: "n", Coord: nan}, "invalid coordinate"},
		{coordEntryJSON{Node: "n", Coord: inf}, "invalid coordinate"},
	}
	for _, tc := range cases {
		err := tc.e.validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc.e, err, tc.want)
		}
	}
}
