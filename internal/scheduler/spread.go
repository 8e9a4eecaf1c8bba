package scheduler

import (
	"math"

	"github.com/orbit/orbit/internal/job"
)

// spreadState holds, for one placement, how the group's allocations are
// spread over each spread attribute's values.
type spreadState struct {
	p       *placer
	spreads []*job.Spread
	counts  []map[string]int // per spread: value → allocations of the group
	values  []int            // per spread: number of distinct values among ready nodes
	count   int
	weight  float64
}

func (p *placer) newSpreadState(g *job.Group, spreads []*job.Spread, count int) *spreadState {
	s := &spreadState{p: p, spreads: spreads, count: max(count, 1)}
	for _, sp := range spreads {
		counts := map[string]int{}
		seen := map[string]bool{}
		for _, n := range p.c.Nodes {
			v, ok := Resolve(sp.Attribute, n.Info)
			if !ok {
				continue
			}
			if n.Ready() {
				seen[v] = true
			}
			if c := p.groupCount(n, g.Name); c > 0 {
				counts[v] += c
			}
		}
		s.counts = append(s.counts, counts)
		s.values = append(s.values, max(len(seen), 1))
		w := float64(sp.Weight)
		if w == 0 {
			w = 50
		}
		s.weight += w
	}
	return s
}

// boost is the spread score of n in [-1, 1]: positive where the node's
// attribute value has fewer allocations than its share, weighted by each
// spread's weight.
func (s *spreadState) boost(n *Node) float64 {
	var total float64
	for i, sp := range s.spreads {
		v, ok := Resolve(sp.Attribute, n.Info)
		w := float64(sp.Weight)
		if w == 0 {
			w = 50
		}
		if !ok {
			total += -1 * w
			continue
		}
		desired := float64(s.count) / float64(s.values[i])
		if len(sp.Targets) > 0 {
			desired = s.targetShare(sp, v)
		}
		used := float64(s.counts[i][v])
		var b float64
		switch {
		case desired <= 0:
			b = -1
		default:
			b = (desired - used) / desired
		}
		total += math.Max(-1, math.Min(1, b)) * w
	}
	return total / s.weight
}

// targetShare is the number of allocations a value should get from the
// spread's targets; values not listed share the remaining percentage.
func (s *spreadState) targetShare(sp *job.Spread, v string) float64 {
	sum := 0
	for _, t := range sp.Targets {
		if t.Value == v {
			return float64(t.Percent) / 100 * float64(s.count)
		}
		sum += t.Percent
	}
	if sum >= 100 {
		return 0
	}
	return float64(100-sum) / 100 * float64(s.count)
}
