package filter

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkParse measures compiling a typical Prometheus-style filter.
func BenchmarkParse(b *testing.B) {
	const expr = `Service.Tags contains "metrics" and Node.Meta["rack"] matches "^r[0-9]+$" and not Checks.Status == critical`
	for b.Loop() {
		if _, err := Parse(expr); err != nil {
			b.Fatal(err)
		}
	}
}

// benchEntry is shaped like an entry of /v1/health/service/:name.
type benchEntry struct {
	Node struct {
		Node, Address string
		Meta          map[string]string
	}
	Service struct {
		ID, Service string
		Tags        []string
		Port        int
		Meta        map[string]string
	}
	Checks []struct{ CheckID, Status, Output string }
}

// BenchmarkFilter measures filtering 1,000 health entries, JSON round trip
// included, which is what the API pays per request.
func BenchmarkFilter(b *testing.B) {
	var proto benchEntry
	if err := json.Unmarshal([]byte(entryJSON), &proto); err != nil {
		b.Fatal(err)
	}
	entries := make([]benchEntry, 1000)
	for i := range entries {
		entries[i] = proto
		entries[i].Node.Node = fmt.Sprintf("n%d", i)
	}
	e, err := Parse(`Service.Tags contains "primary" and Node.Node matches "7$" and Checks.Status == passing`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		kept, err := Filter(e, entries)
		if err != nil || len(kept) != 100 {
			b.Fatalf("kept %d, %v; want 100", len(kept), err)
		}
	}
}

// BenchmarkMatch measures evaluation alone over an already decoded entry.
func BenchmarkMatch(b *testing.B) {
	v := decode(b, entryJSON)
	e, err := Parse(`Service.Tags contains "primary" and Node.Meta.rack == r1 and Checks.Status == passing`)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !e.Match(v) {
			b.Fatal("no match")
		}
	}
}
