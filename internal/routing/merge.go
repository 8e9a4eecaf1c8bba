package routing

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// contribution is one instance's definition of an element.
type contribution[T any] struct {
	spec     T
	source   string // catalog service name of the instance
	instance string
	passing  bool
}

// merged is the outcome of merging an element's contributions.
type merged[T any] struct {
	spec    T
	sources []string
}

// mergeElement merges the definitions of one element given by several
// instances, the way Traefik merges the configurations of a provider's
// items, with one relaxation:
//
//   - identical definitions merge into one, whichever services give them
//     (two services may share a middleware such as an https redirect);
//   - instances of different catalog services that define the element
//     differently are a conflict, as in Traefik: the element is disabled;
//   - instances of the same catalog service that disagree (a rolling update
//     that changes tags) do not disable it, unlike Traefik: the definition
//     held by the most passing instances wins, then by the most instances,
//     then the one of the lowest instance ID; a warning names the losers.
//
// cs must be sorted by source then instance ID.
func mergeElement[T any](p *problems, k elemKey, cs []contribution[T]) merged[T] {
	var sources []string
	for _, c := range cs {
		if !slices.Contains(sources, c.source) {
			sources = append(sources, c.source)
		}
	}
	groups := groupEqual(cs)
	if len(groups) == 1 {
		return merged[T]{cs[0].spec, sources}
	}
	if len(sources) > 1 {
		p.fail(k, ErrConflict, fmt.Sprintf("defined differently by the instances of services %s", quoteAll(sources)))
		return merged[T]{cs[0].spec, sources}
	}
	best := groups[0]
	for _, g := range groups[1:] {
		if better(cs, g, best) {
			best = g
		}
	}
	var ignored []string
	for i, c := range cs {
		if !slices.Contains(best, i) {
			ignored = append(ignored, c.instance)
		}
	}
	p.warn(k, ErrConflict, fmt.Sprintf("instances of service %q disagree: using the definition of instance %q, ignoring instances %s",
		sources[0], cs[best[0]].instance, quoteAll(ignored)))
	return merged[T]{cs[best[0]].spec, sources}
}

// groupEqual groups the indexes of equal specs, in order of first appearance.
func groupEqual[T any](cs []contribution[T]) [][]int {
	var groups [][]int
	for i, c := range cs {
		found := false
		for g := range groups {
			if reflect.DeepEqual(cs[groups[g][0]].spec, c.spec) {
				groups[g] = append(groups[g], i)
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, []int{i})
		}
	}
	return groups
}

// better reports whether group a beats group b: more passing instances,
// then more instances, then a lower first instance ID.
func better[T any](cs []contribution[T], a, b []int) bool {
	pa, pb := countPassing(cs, a), countPassing(cs, b)
	if pa != pb {
		return pa > pb
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return cs[a[0]].instance < cs[b[0]].instance
}

func countPassing[T any](cs []contribution[T], idx []int) int {
	n := 0
	for _, i := range idx {
		if cs[i].passing {
			n++
		}
	}
	return n
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
