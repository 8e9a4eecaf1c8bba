package tsdb

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
)

// ErrNoChart is returned for a chart the store does not hold.
var ErrNoChart = errors.New("no such chart")

// Dim is one dimension (one metric) of a chart.
type Dim struct {
	ID   string
	Name string // shown name (default ID)
	Enc  Encoding
	// Multiplier and Divisor scale stored values when read (default 1).
	Multiplier, Divisor int64
	// Hidden dimensions are answered only when asked for by name; they
	// still count in a PercentOfRow chart's total (system.cpu's idle).
	Hidden bool
}

// Chart describes a chart and its dimensions, as Netdata does.
type Chart struct {
	ID        string // "system.cpu": TYPE.NAME
	Family    string // the dashboard's submenu ("cpu", "eth0")
	Context   string // the kind of chart ("system.cpu", "disk.io")
	Title     string
	Units     string
	ChartType string // line, area or stacked
	Priority  int
	// PercentOfRow shows each dimension's rate as a percentage of the
	// row's total (Netdata's percentage-of-incremental-row: system.cpu).
	PercentOfRow bool
	// Labels describe what the chart is of (job, group, task, alloc_id).
	Labels map[string]string
	Dims   []Dim
}

// Type is the chart id's part before the first dot.
func (c Chart) Type() string {
	for i := 0; i < len(c.ID); i++ {
		if c.ID[i] == '.' {
			return c.ID[:i]
		}
	}
	return c.ID
}

// Algorithm is Netdata's name for how a dimension's values are computed.
func (c Chart) Algorithm(d Dim) string {
	switch {
	case c.PercentOfRow:
		return "percentage-of-incremental-row"
	case d.Enc.Incremental():
		return "incremental"
	}
	return "absolute"
}

func (d Dim) scale() float64 {
	m, v := d.Multiplier, d.Divisor
	if m == 0 {
		m = 1
	}
	if v == 0 {
		v = 1
	}
	return float64(m) / float64(v)
}

// DB holds every chart's series.
type DB struct {
	cfg Config

	mu     sync.RWMutex // guards charts
	charts map[string]*chartData
}

// chartData is a chart and its dimensions' series.
type chartData struct {
	mu      sync.Mutex // guards everything below
	def     Chart
	series  []*series
	updated int64 // last second appended
}

// New returns an empty store sized by cfg (zero fields take defaults).
func New(cfg Config) (*DB, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &DB{cfg: cfg, charts: map[string]*chartData{}}, nil
}

// Config is the store's configuration, defaults filled.
func (db *DB) Config() Config { return db.cfg }

// Define adds a chart or updates its description; dimensions are matched
// by id, new ones start empty, removed ones are dropped.
func (db *DB) Define(c Chart) error {
	if c.ID == "" || len(c.Dims) == 0 {
		return fmt.Errorf("chart %q: want an id and at least one dimension", c.ID)
	}
	for i := range c.Dims {
		if c.Dims[i].Name == "" {
			c.Dims[i].Name = c.Dims[i].ID
		}
	}
	db.mu.Lock()
	cd, ok := db.charts[c.ID]
	if !ok {
		cd = &chartData{}
		db.charts[c.ID] = cd
	}
	db.mu.Unlock()

	cd.mu.Lock()
	defer cd.mu.Unlock()
	old := map[string]*series{}
	for i, d := range cd.def.Dims {
		old[d.ID] = cd.series[i]
	}
	ss := make([]*series, len(c.Dims))
	for i, d := range c.Dims {
		if s, ok := old[d.ID]; ok && s.enc == d.Enc {
			ss[i] = s
		} else {
			ss[i] = newSeries(d.Enc, db.cfg)
		}
	}
	cd.def, cd.series = c, ss
	return nil
}

// Append stores one row of raw samples at second t: values[i] (NaN for
// none) and anomalous[i] (nil for none) belong to the chart's i-th
// dimension.
func (db *DB) Append(id string, t int64, values []float64, anomalous []bool) error {
	cd := db.chart(id)
	if cd == nil {
		return fmt.Errorf("append to %q: %w", id, ErrNoChart)
	}
	cd.mu.Lock()
	defer cd.mu.Unlock()
	if len(values) != len(cd.series) {
		return fmt.Errorf("append to %q: %d values for %d dimensions", id, len(values), len(cd.series))
	}
	for i, s := range cd.series {
		if s.append(t, values[i], i < len(anomalous) && anomalous[i], db.cfg.ChunkSamples) {
			cd.updated = max(cd.updated, t)
		}
	}
	return nil
}

// Remove drops a chart and its history.
func (db *DB) Remove(id string) {
	db.mu.Lock()
	delete(db.charts, id)
	db.mu.Unlock()
}

// Prune drops the charts not updated since before (gone disks,
// interfaces, allocations) and returns their ids.
func (db *DB) Prune(before int64) []string {
	db.mu.Lock()
	defer db.mu.Unlock()
	var gone []string
	for id, cd := range db.charts {
		cd.mu.Lock()
		if cd.updated < before {
			gone = append(gone, id)
			delete(db.charts, id)
		}
		cd.mu.Unlock()
	}
	sort.Strings(gone)
	return gone
}

func (db *DB) chart(id string) *chartData {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.charts[id]
}

// Info is a chart with the span of its data.
type Info struct {
	Chart
	First, Last int64 // oldest and newest second held (0 when empty)
}

// Charts lists every chart, by priority then id.
func (db *DB) Charts() []Info {
	db.mu.RLock()
	cds := make([]*chartData, 0, len(db.charts))
	for _, cd := range db.charts {
		cds = append(cds, cd)
	}
	db.mu.RUnlock()
	out := make([]Info, 0, len(cds))
	for _, cd := range cds {
		out = append(out, cd.info())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Priority != out[j].Priority {
			return out[i].Priority < out[j].Priority
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// ChartInfo returns one chart.
func (db *DB) ChartInfo(id string) (Info, error) {
	cd := db.chart(id)
	if cd == nil {
		return Info{}, fmt.Errorf("chart %q: %w", id, ErrNoChart)
	}
	return cd.info(), nil
}

func (cd *chartData) info() Info {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	in := Info{Chart: cd.def, Last: cd.updated}
	in.Dims = append([]Dim(nil), cd.def.Dims...)
	first := int64(math.MaxInt64)
	for _, s := range cd.series {
		first = min(first, s.firstSecond(), s.minutes.oldestHeld(), s.hours.oldestHeld())
	}
	if first != math.MaxInt64 {
		in.First = first
	}
	return in
}

// Stats is the store's size.
type Stats struct {
	Charts, Dims int
	Samples      int64 // per-second samples held
	Bytes        int64 // memory of samples and aggregates
	SampleBytes  int64 // memory of the compressed per-second samples
}

// Stats sums the store's size.
func (db *DB) Stats() Stats {
	db.mu.RLock()
	defer db.mu.RUnlock()
	var st Stats
	for _, cd := range db.charts {
		cd.mu.Lock()
		st.Charts++
		st.Dims += len(cd.series)
		for _, s := range cd.series {
			st.Bytes += int64(s.bytes())
			for _, c := range s.chunks {
				st.Samples += int64(c.n)
				st.SampleBytes += int64(c.bytes())
			}
			if s.head != nil {
				st.Samples += int64(s.head.n)
				st.SampleBytes += int64(len(s.head.w.b))
			}
		}
		cd.mu.Unlock()
	}
	return st
}

// Latest returns a chart's newest per-second values of every dimension,
// hidden ones too (NaN where a dimension has none yet), scaled.
func (db *DB) Latest(id string) (Info, []float64, error) {
	cd := db.chart(id)
	if cd == nil {
		return Info{}, nil, fmt.Errorf("chart %q: %w", id, ErrNoChart)
	}
	in := cd.info()
	all := make([]string, len(in.Dims))
	for i, d := range in.Dims {
		all[i] = d.ID
	}
	r, err := db.Query(Query{Chart: id, After: in.Last, Before: in.Last, Points: 1, Dims: all})
	if err != nil {
		return in, nil, err
	}
	vals := make([]float64, len(in.Dims))
	for i := range vals {
		vals[i] = math.NaN()
	}
	if len(r.Rows) > 0 {
		copy(vals, r.Rows[0].V)
	}
	return in, vals, nil
}

// Seconds returns dimension dim's per-second values in [from, to], one per
// second (counters as rates, unscaled), NaN where none was stored: the
// history anomaly detection trains on.
func (db *DB) Seconds(id string, dim int, from, to int64) ([]float64, error) {
	cd := db.chart(id)
	if cd == nil {
		return nil, fmt.Errorf("chart %q: %w", id, ErrNoChart)
	}
	if to < from {
		return nil, nil
	}
	cd.mu.Lock()
	defer cd.mu.Unlock()
	if dim < 0 || dim >= len(cd.series) {
		return nil, fmt.Errorf("chart %q has no dimension %d", id, dim)
	}
	out := make([]float64, to-from+1)
	for i := range out {
		out[i] = math.NaN()
	}
	cd.series[dim].seconds(from, to, func(t int64, v float64, _ bool) { out[t-from] = v })
	return out, nil
}

// AnomalyBits counts the per-second samples of every dimension of chart
// id in [from, to] and how many of them were stored anomalous.
func (db *DB) AnomalyBits(id string, from, to int64) (anomalous, total uint64, err error) {
	cd := db.chart(id)
	if cd == nil {
		return 0, 0, fmt.Errorf("chart %q: %w", id, ErrNoChart)
	}
	cd.mu.Lock()
	defer cd.mu.Unlock()
	for _, s := range cd.series {
		s.seconds(from, to, func(_ int64, v float64, a bool) {
			if math.IsNaN(v) {
				return
			}
			total++
			if a {
				anomalous++
			}
		})
	}
	return anomalous, total, nil
}
