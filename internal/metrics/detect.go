package metrics

import (
	"math"
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// detector runs Netdata's anomaly detection (internal/anomaly) on every
// collected metric: each per-second value is observed as it is stored
// (counters as rates), its anomaly bit stored beside it, and metrics due
// for training are trained from the per-second tier within a time budget
// per collection. Only the collection loop uses it.
type detector struct {
	cfg    anomaly.Config
	charts map[string]*chartDetect
	order  []string // charts in training round-robin order
	next   int      // the next chart to look at for training

	anomalous, counted int // this collection's totals, for the node's rate
}

// chartDetect is one chart's detectors and the last raw row (to turn
// counters into rates).
type chartDetect struct {
	sig   string
	dims  []*anomaly.Dimension
	encs  []tsdb.Encoding
	last  []float64
	lastT int64
}

func newDetector(cfg anomaly.Config) *detector {
	return &detector{cfg: cfg, charts: map[string]*chartDetect{}}
}

// begin starts a collection's node totals.
func (d *detector) begin() { d.anomalous, d.counted = 0, 0 }

// observe scores a chart's row at second t and returns its anomaly bits.
func (d *detector) observe(c tsdb.Chart, sig string, t int64, raw []float64) []bool {
	if c.Type() == "anomaly_detection" {
		return nil // the detector's own charts
	}
	cd := d.charts[c.ID]
	if cd == nil || cd.sig != sig {
		cd = &chartDetect{sig: sig, dims: make([]*anomaly.Dimension, len(c.Dims)), encs: make([]tsdb.Encoding, len(c.Dims))}
		for i, dim := range c.Dims {
			cd.dims[i], cd.encs[i] = anomaly.NewDimension(&d.cfg), dim.Enc
		}
		if d.charts[c.ID] == nil {
			d.order = append(d.order, c.ID)
		}
		d.charts[c.ID] = cd
	}
	bits := make([]bool, len(raw))
	for i, v := range raw {
		if cd.encs[i].Incremental() {
			prev := math.NaN()
			if cd.last != nil && t > cd.lastT && v >= cd.last[i] {
				prev = (v - cd.last[i]) / float64(t-cd.lastT)
			}
			v = prev
		}
		bits[i] = cd.dims[i].Observe(v)
		if cd.dims[i].Counted() {
			d.counted++
			if bits[i] {
				d.anomalous++
			}
		}
	}
	cd.last, cd.lastT = append(cd.last[:0], raw...), t
	return bits
}

// forget drops a pruned chart's detectors.
func (d *detector) forget(id string) {
	delete(d.charts, id)
	for i, o := range d.order {
		if o == id {
			d.order = append(d.order[:i], d.order[i+1:]...)
			break
		}
	}
}

// train trains the metrics that are due, round-robin from where the last
// call stopped, until budget is spent. History comes from the per-second
// tier, so a model sees at most its retention (TrainingWindow beyond it
// is not stored).
func (d *detector) train(now time.Time, db *tsdb.DB, budget time.Duration) int {
	start := time.Now()
	trained := 0
	for n := 0; n < len(d.order); n++ {
		d.next %= len(d.order)
		id := d.order[d.next]
		for i, dim := range d.charts[id].dims {
			if !dim.TrainDue(now) {
				continue
			}
			if time.Since(start) >= budget {
				return trained // this chart again next time
			}
			to := now.Unix()
			from := to - int64(d.cfg.TrainingWindow/time.Second) + 1
			values, err := db.Seconds(id, i, from, to)
			if err != nil {
				continue
			}
			if dim.Train(now, values) == nil {
				trained++
			}
		}
		d.next++
	}
	return trained
}

// nodeCharts are the node's anomaly charts for this collection.
func (d *detector) nodeCharts(emit emitFunc) {
	dims := gauge("anomaly_detection.dimensions", "dimensions", "Anomaly detection: anomalous dimensions", "dimensions", 90,
		"anomalous", "normal")
	dims.ChartType = "stacked"
	emit(dims, []float64{float64(d.anomalous), float64(d.counted - d.anomalous)})
	rate := gauge("anomaly_detection.anomaly_rate", "anomaly_rate", "Anomaly detection: node anomaly rate", "percentage", 91,
		"anomaly_rate")
	rate.Dims[0].Divisor = 10000
	r := 0.0
	if d.counted > 0 {
		r = float64(d.anomalous) / float64(d.counted) * 1e6
	}
	emit(rate, []float64{math.Round(r)})
}
