package tsdb

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// MaxRows bounds a query's rows (points=0 over a long span).
const MaxRows = 100000

// Groupings are the ways points are made of samples (Netdata's group=).
var Groupings = []string{"average", "min", "max", "sum", "median"}

// Query asks for a chart's points between two seconds.
type Query struct {
	Chart         string
	After, Before int64 // absolute seconds, After < Before (equal: one second)
	// Points is the number of rows wanted; 0 is one per stored step.
	Points int
	// Group is one of Groupings (default average).
	Group string
	// Dims selects dimensions by id or name (all when empty).
	Dims []string
	// Anomaly answers each point's anomaly rate (0-100) instead of values.
	Anomaly bool
}

// Row is one point: its time (the end of its window) and a value per
// selected dimension, NaN where there was no sample.
type Row struct {
	T int64
	V []float64
}

// Result is a query's answer, rows newest first.
type Result struct {
	Info
	Dims          []Dim // the selected dimensions
	After, Before int64 // the span the rows cover
	Step          int64 // the tier's resolution in seconds (1, 60, 3600)
	Group         int64 // seconds per point
	Rows          []Row
}

// Query groups a chart's samples into points from the finest tier that
// holds the asked span.
func (db *DB) Query(q Query) (Result, error) {
	if q.Group == "" {
		q.Group = "average"
	}
	if !slices.Contains(Groupings, q.Group) {
		return Result{}, fmt.Errorf("group %q: want one of %v", q.Group, Groupings)
	}
	if q.Before < q.After {
		return Result{}, fmt.Errorf("before %d is earlier than after %d", q.Before, q.After)
	}
	cd := db.chart(q.Chart)
	if cd == nil {
		return Result{}, fmt.Errorf("chart %q: %w", q.Chart, ErrNoChart)
	}
	in := cd.info()
	cd.mu.Lock()
	defer cd.mu.Unlock()

	var idx []int
	for i, d := range in.Dims {
		if (len(q.Dims) == 0 && !d.Hidden) || slices.Contains(q.Dims, d.ID) || slices.Contains(q.Dims, d.Name) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return Result{}, fmt.Errorf("chart %q has none of the dimensions %v", q.Chart, q.Dims)
	}
	// A percentage of the row needs every dimension's value.
	need := idx
	if in.PercentOfRow && !q.Anomaly {
		need = make([]int, len(in.Dims))
		for i := range need {
			need[i] = i
		}
	}
	res := Result{Info: in}
	for _, i := range idx {
		res.Dims = append(res.Dims, in.Dims[i])
	}
	// Nothing is held before the chart's first second: a span reaching
	// further back is cut there, so an old after cannot ask for millions
	// of empty rows.
	if in.First > 0 && q.After < in.First && q.Before >= in.First {
		q.After = in.First
	}
	if in.Last > 0 && q.Before > in.Last && q.After <= in.Last {
		q.Before = in.Last // nor into the future
	}
	res.Step = cd.step(q.After)
	span := q.Before - q.After + 1
	group := res.Step
	if q.Points > 0 {
		group = max(res.Step, (span+int64(q.Points)-1)/int64(q.Points))
		group = (group + res.Step - 1) / res.Step * res.Step
	}
	before := q.Before
	n := int((before - q.After + group) / group)
	if q.Points > 0 {
		n = min(n, q.Points)
	}
	n = min(max(n, 1), MaxRows)
	after := before - int64(n)*group + 1
	res.After, res.Before, res.Group = after, before, group

	acc := make([][]bucket, len(in.Dims))
	for _, i := range need {
		acc[i] = make([]bucket, n)
		cd.collect(cd.series[i], res.Step, after, before, group, acc[i], q.Group == "median")
	}
	res.Rows = make([]Row, n)
	all := make([]float64, len(in.Dims))
	for r := 0; r < n; r++ {
		k := n - 1 - r // newest first
		for _, i := range need {
			all[i] = acc[i][k].value(q.Group, q.Anomaly)
		}
		if !q.Anomaly {
			scale(all, need, in)
		}
		row := Row{T: after + int64(k+1)*group - 1, V: make([]float64, len(idx))}
		for j, i := range idx {
			row.V[j] = all[i]
		}
		res.Rows[r] = row
	}
	return res, nil
}

// step picks the tier: seconds when they reach back to after, else
// minutes, else hours.
func (cd *chartData) step(after int64) int64 {
	firstSec, firstMin := int64(math.MaxInt64), int64(math.MaxInt64)
	for _, s := range cd.series {
		firstSec = min(firstSec, s.firstSecond())
		firstMin = min(firstMin, s.minutes.oldestHeld())
	}
	switch {
	case after >= firstSec || firstSec == math.MaxInt64:
		return 1
	case after >= firstMin:
		return 60
	}
	return 3600
}

// collect accumulates one series into n buckets of group seconds from
// after.
func (cd *chartData) collect(s *series, step, after, before, group int64, b []bucket, keep bool) {
	put := func(t int64, a agg) {
		k := (max(t, after) - after) / group
		if k >= 0 && k < int64(len(b)) {
			b[k].add(a, keep)
		}
	}
	if step == 1 {
		s.seconds(after, before, func(t int64, v float64, anomalous bool) {
			a := agg{sum: float32(v), min: float32(v), max: float32(v), count: 1}
			if anomalous {
				a.anomalies = 1
			}
			b[(t-after)/group].addSecond(v, a, keep)
		})
		return
	}
	r := &s.minutes
	if step == 3600 {
		r = &s.hours
	}
	for k := after / step; k <= before/step; k++ {
		if a, ok := r.get(k); ok {
			put(k*step, a)
		}
	}
}

// scale applies the dimensions' multipliers to the values at need, or
// makes each a percentage of the row for PercentOfRow charts.
func scale(v []float64, need []int, in Info) {
	if !in.PercentOfRow {
		for _, i := range need {
			v[i] *= in.Dims[i].scale()
		}
		return
	}
	total := 0.0
	for _, i := range need {
		if !math.IsNaN(v[i]) {
			total += v[i]
		}
	}
	for _, i := range need {
		if total > 0 && !math.IsNaN(v[i]) {
			v[i] = v[i] / total * 100
		} else if !math.IsNaN(v[i]) {
			v[i] = 0
		}
	}
}

// bucket accumulates the samples (or aggregates) of one point.
type bucket struct {
	sum, min, max float64
	count         float64
	anomalies     float64
	values        []float64 // for median
}

func (b *bucket) add(a agg, keep bool) {
	if a.count == 0 {
		return
	}
	if b.count == 0 || float64(a.min) < b.min {
		b.min = float64(a.min)
	}
	if b.count == 0 || float64(a.max) > b.max {
		b.max = float64(a.max)
	}
	b.sum += float64(a.sum)
	b.count += float64(a.count)
	b.anomalies += float64(a.anomalies)
	if keep {
		b.values = append(b.values, float64(a.sum)/float64(a.count))
	}
}

// addSecond adds one per-second sample at full precision.
func (b *bucket) addSecond(v float64, a agg, keep bool) {
	if b.count == 0 || v < b.min {
		b.min = v
	}
	if b.count == 0 || v > b.max {
		b.max = v
	}
	b.sum += v
	b.count++
	b.anomalies += float64(a.anomalies)
	if keep {
		b.values = append(b.values, v)
	}
}

func (b *bucket) value(group string, anomaly bool) float64 {
	if b.count == 0 {
		return math.NaN()
	}
	if anomaly {
		return b.anomalies / b.count * 100
	}
	switch group {
	case "min":
		return b.min
	case "max":
		return b.max
	case "sum":
		return b.sum
	case "median":
		sort.Float64s(b.values)
		m := len(b.values) / 2
		if len(b.values)%2 == 0 {
			return (b.values[m-1] + b.values[m]) / 2
		}
		return b.values[m]
	}
	return b.sum / b.count
}
