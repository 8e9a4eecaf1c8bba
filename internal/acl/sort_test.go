package acl

import (
	"cmp"
	"slices"
)

// sortRules orders a document's rules canonically (JSON objects carry no
// order hcl keeps), for comparing documents.
func sortRules(r *Rules) {
	slices.SortFunc(r.Grants, func(a, b Grant) int {
		return cmp.Or(cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Segment, b.Segment),
			boolCmp(a.Prefix, b.Prefix))
	})
	byName := func(a, b CapabilityGrant) int { return cmp.Compare(a.Name, b.Name) }
	slices.SortFunc(r.Namespaces, byName)
	slices.SortFunc(r.HostVolumes, byName)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
