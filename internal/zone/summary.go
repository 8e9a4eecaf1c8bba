package zone

import (
	"slices"
	"strings"
)

// Summary is a zone in listings and import answers: its settings and its
// number of record sets.
type Summary struct {
	Zone
	RecordSets int `json:"RecordSets"`
}

// Detail is one zone with its record sets.
type Detail struct {
	Zone   Zone    `json:"Zone"`
	RRSets []RRSet `json:"RRSets"`
}

// SortSummaries orders zones by name.
func SortSummaries(zs []Summary) {
	slices.SortFunc(zs, func(a, b Summary) int { return strings.Compare(a.Name, b.Name) })
}
