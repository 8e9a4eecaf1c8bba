package zone

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestNextSerial(t *testing.T) {
	day := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		old, want uint32
	}{
		{0, 2026030700},
		{2025123199, 2026030700},
		{2026030700, 2026030701},
		{2026030799, 2026030800}, // past 99 changes a day it borrows tomorrow
		{2026040100, 2026040101}, // never goes back
		{0xffffffff, 2026030700}, // RFC 1982: 2^32-1 is "before" today
		{1, 2026030700},
	}
	for _, tt := range tests {
		if got := NextSerial(tt.old, day); got != tt.want {
			t.Errorf("NextSerial(%d) = %d, want %d", tt.old, got, tt.want)
		}
	}
}

func TestOwnerAndCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@", "lab.example."},
		{"", "lab.example."},
		{"www", "www.lab.example."},
		{"WWW.Lab.Example", "www.lab.example."},
		{"www.lab.example.", "www.lab.example."},
		{"other.org.", "other.org."},
		{"*.apps", "*.apps.lab.example."},
	}
	for _, tt := range tests {
		got, err := Owner(tt.in, "lab.example.")
		if err != nil || got != tt.want {
			t.Errorf("Owner(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"a..b", "a/b", strings.Repeat("x", 64) + ".com", "sp ace", ".lead", strings.Repeat("abcdefgh.", 30)} {
		if _, err := Canonical(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Canonical(%q) err = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestNormalize(t *testing.T) {
	s := RRSet{Name: "www", Type: "a", Records: []string{"10.0.0.2", "10.0.0.1", "10.0.0.2"}}
	if err := s.Normalize("lab.example.", 300); err != nil {
		t.Fatal(err)
	}
	if s.Name != "www.lab.example." || s.Type != "A" || s.TTL != 300 || strings.Join(s.Records, ",") != "10.0.0.1,10.0.0.2" {
		t.Fatalf("normalized = %+v", s)
	}
	txt := RRSet{Name: "@", Type: "TXT", Records: []string{`hello "world"`}}
	if err := txt.Normalize("lab.example.", 300); err != nil {
		t.Fatal(err)
	}
	rrs, err := txt.RRs()
	if err != nil || len(rrs) != 1 || !strings.Contains(rrs[0].String(), `"hello \"world\""`) {
		t.Fatalf("txt = %v %v", rrs, err)
	}
	mx := RRSet{Name: "@", Type: "MX", Records: []string{"10 mail"}}
	if err := mx.Normalize("lab.example.", 300); err != nil || mx.Records[0] != "10 mail.lab.example." {
		t.Fatalf("relative MX target: %+v %v", mx, err)
	}
	bad := []RRSet{
		{Name: "www", Type: "A", Records: []string{"not-an-ip"}},
		{Name: "www", Type: "A"},
		{Name: "www.other.org.", Type: "A", Records: []string{"10.0.0.1"}},
		{Name: "www", Type: "SOA", Records: []string{"x"}},
		{Name: "www", Type: "HINFO", Records: []string{"a b"}},
		{Name: "www", Type: "CNAME", Records: []string{"a.example.", "b.example."}},
		{Name: "www", Type: "A", Records: []string{"10.0.0.1\nevil 60 IN A 1.2.3.4"}},
		{Name: "www", Type: "TXT", Records: []string{"\"a\"\nevil 60 IN A 1.2.3.4"}},
	}
	for _, b := range bad {
		if err := b.Normalize("lab.example.", 300); !errors.Is(err, ErrInvalid) {
			t.Errorf("Normalize(%+v) err = %v, want ErrInvalid", b, err)
		}
	}
}

func TestCheckZone(t *testing.T) {
	cname := RRSet{Name: "www.lab.example.", Type: "CNAME", TTL: 60, Records: []string{"web.lab.example."}}
	a := RRSet{Name: "www.lab.example.", Type: "A", TTL: 60, Records: []string{"10.0.0.1"}}
	err := CheckZone("lab.example.", []RRSet{cname, a})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "CNAME beside other data") {
		t.Fatalf("CNAME beside A: %v", err)
	}
	apex := RRSet{Name: "lab.example.", Type: "CNAME", TTL: 60, Records: []string{"x.example."}}
	if err := CheckZone("lab.example.", []RRSet{apex}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("CNAME at apex: %v", err)
	}
	if err := CheckZone("lab.example.", []RRSet{cname}); err != nil {
		t.Fatal(err)
	}
}

func TestParseFile(t *testing.T) {
	const file = `$ORIGIN lab.example.
$TTL 300
@	IN SOA ns1 hostmaster 2024010101 7200 900 1209600 120
@	IN NS ns1
ns1	IN A 192.0.2.1
www	60 IN A 192.0.2.10
www	60 IN A 192.0.2.11
mail	IN MX 10 mx.other.org.
txt	IN TXT "v=spf1 -all"
_http._tcp IN SRV 0 5 8080 www
`
	z, sets, err := ParseFile(strings.NewReader(file), "lab.example", "lab.zone")
	if err != nil {
		t.Fatal(err)
	}
	if z.Serial != 2024010101 || z.Minimum != 120 || z.PrimaryNS != "ns1.lab.example." || z.TTL != 300 {
		t.Fatalf("zone = %+v", z)
	}
	if len(sets) != 6 {
		t.Fatalf("sets = %+v", sets)
	}
	var www *RRSet
	for i := range sets {
		if sets[i].Name == "www.lab.example." {
			www = &sets[i]
		}
	}
	if www == nil || len(www.Records) != 2 || www.TTL != 60 {
		t.Fatalf("www = %+v", www)
	}
	var out strings.Builder
	if err := WriteFile(&out, z, sets); err != nil {
		t.Fatal(err)
	}
	z2, sets2, err := ParseFile(strings.NewReader(out.String()), "lab.example.", "")
	if err != nil || z2.Serial != z.Serial || len(sets2) != len(sets) {
		t.Fatalf("round trip: %v\n%s", err, out.String())
	}
	for _, bad := range []string{
		"www IN A 1.2.3.4\nwww IN CNAME x.org.\n",
		"www.other.org. IN A 1.2.3.4\n",
		"www IN HINFO a b\n",
		"www IN A nope\n",
		"$INCLUDE /etc/passwd\n",
	} {
		if _, _, err := ParseFile(strings.NewReader(bad), "lab.example.", ""); err == nil {
			t.Errorf("ParseFile(%q) accepted", bad)
		}
	}
}

func TestZoneValidate(t *testing.T) {
	z := &Zone{Name: "Lab.Example", AlsoNotify: []string{"127.0.0.1:5300", "10.0.0.1"}, AllowTransfer: []string{"10.0.0.0/8"}}
	z.Name, _ = Canonical(z.Name)
	z.SetDefaults()
	if err := z.Validate(); err != nil {
		t.Fatal(err)
	}
	if z.AlsoNotify[1] != "10.0.0.1:53" || z.SOA().Ns != "ns1.lab.example." {
		t.Fatalf("zone = %+v", z)
	}
	bad := &Zone{Name: "lab.example.", AlsoNotify: []string{"ns1.other"}}
	bad.SetDefaults()
	if err := bad.Validate(); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad notify target: %v", err)
	}
}

func TestSummaryJSON(t *testing.T) {
	zs := []Summary{{Zone: Zone{Name: "b.example."}, RecordSets: 2}, {Zone: Zone{Name: "a.example."}, RecordSets: 1}}
	SortSummaries(zs)
	b, err := json.Marshal(zs[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// The zone's fields sit beside RecordSets, as the zone API has always
	// answered.
	if zs[0].Name != "a.example." || m["RecordSets"] != float64(1) || m["Name"] != "a.example." {
		t.Fatalf("first summary = %s", b)
	}
}
