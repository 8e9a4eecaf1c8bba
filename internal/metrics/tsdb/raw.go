package tsdb

import (
	"fmt"
	"math"
)

// Raw calls fn, in time order, with each second in [from, to] at which
// some dimension of chart id holds a per-second sample: the raw values as
// Append was given them (NaN where a dimension has none) and their anomaly
// bits. Replaying the rows into another store's Append rebuilds the same
// series there (a child agent replicating to its parent). fn must not
// keep the slices.
func (db *DB) Raw(id string, from, to int64, fn func(t int64, values []float64, anomalous []bool)) error {
	cd := db.chart(id)
	if cd == nil {
		return fmt.Errorf("raw rows of %q: %w", id, ErrNoChart)
	}
	if to < from {
		return nil
	}
	cd.mu.Lock()
	n := len(cd.series)
	first := int64(math.MaxInt64)
	for _, s := range cd.series {
		first = min(first, s.firstSecond())
	}
	from = max(from, first)
	if to < from {
		cd.mu.Unlock()
		return nil
	}
	span := to - from + 1
	vals := make([]float64, span*int64(n))
	bits := make([]bool, span*int64(n))
	held := make([]bool, span)
	for i := range vals {
		vals[i] = math.NaN()
	}
	for d, s := range cd.series {
		s.raw(from, to, func(t int64, v float64, a bool) {
			k := (t - from) * int64(n)
			vals[k+int64(d)], bits[k+int64(d)] = v, a
			held[t-from] = true
		})
	}
	cd.mu.Unlock()
	for i := int64(0); i < span; i++ {
		if held[i] {
			fn(from+i, vals[i*int64(n):(i+1)*int64(n)], bits[i*int64(n):(i+1)*int64(n)])
		}
	}
	return nil
}

// raw calls fn with each stored sample in [from, to], in order, as it was
// appended (counters not turned into rates).
func (s *series) raw(from, to int64, fn func(t int64, v float64, anomalous bool)) {
	all := s.chunks
	if s.head != nil {
		all = append(all[:len(all):len(all)], s.head)
	}
	for _, c := range all {
		if c.last < from {
			continue
		}
		if c.first > to {
			return
		}
		it := c.iter()
		for it.next() {
			if it.T > to {
				return
			}
			if it.T >= from {
				fn(it.T, it.V, it.A)
			}
		}
	}
}
