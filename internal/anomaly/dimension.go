package anomaly

import (
	"errors"
	"time"
)

// Status is where a metric's training stands (Netdata's training status).
type Status uint8

const (
	// Untrained: no model yet; never anomalous.
	Untrained Status = iota
	// Trained: scored against its models.
	Trained
	// Silenced: anomalous too often since its last training; never
	// anomalous until trained again.
	Silenced
)

func (s Status) String() string {
	switch s {
	case Trained:
		return "trained"
	case Silenced:
		return "silenced"
	}
	return "untrained"
}

// Dimension is one metric's detector: its last Span values, its models
// (oldest first, at most Config.Models) and its training schedule. Not
// safe for concurrent use; its zero value is not usable (NewDimension).
type Dimension struct {
	cfg *Config

	recent [Span]float64 // the last values, oldest first; recent[:n] while filling
	n      int

	// variable: a value differed from the one before it since the last
	// training (Netdata's metric type); a constant metric is not retrained
	// and counts as normal.
	variable bool
	status   Status
	models   []Model

	collected    int       // values observed, gaps excluded
	lastTraining time.Time // end of the window of the last training or attempt
	attempted    bool

	// Suppression counters since the last training: samples scored and
	// samples found anomalous.
	scored, anomalous int
}

// NewDimension returns the detector of one metric. cfg must be validated
// with its defaults filled in; it is shared, not copied, by every metric.
func NewDimension(cfg *Config) *Dimension {
	return &Dimension{cfg: cfg}
}

// Observe takes the metric's next sample (NaN or ±Inf: not collected) and
// returns its anomaly bit: true only when the metric is trained and every
// model scores the sample's feature vector at or above the threshold. A
// gap restarts the feature window, as Netdata does.
func (d *Dimension) Observe(v float64) bool {
	if !usable(v) {
		d.n = 0
		return false
	}
	d.collected++
	if d.n < Span {
		d.recent[d.n] = v
		d.n++
		if d.n < Span {
			return false
		}
	} else {
		if v != d.recent[Span-1] {
			d.variable = true
		}
		copy(d.recent[:], d.recent[1:])
		d.recent[Span-1] = v
	}
	if d.status != Trained || len(d.models) == 0 {
		return false
	}
	d.scored++
	vec := last(&d.recent)
	threshold := 100 * d.cfg.Threshold
	agreed := 0
	for i := range d.models {
		s := d.models[i].Score(vec)
		if s != s { // NaN: this model cannot judge
			continue
		}
		if s < threshold {
			return false
		}
		agreed++
	}
	if agreed == 0 {
		return false
	}
	d.anomalous++
	if d.anomalous >= d.cfg.SuppressionThreshold && d.scored >= d.cfg.samples(d.cfg.SuppressionWindow) {
		d.status = Silenced
	}
	return true
}

// TrainDue reports whether the metric should be trained at now: a metric
// with models once TrainEvery has passed since its last training and its
// value has changed since; one without models once MinTrainingWindow of
// values has been observed, retried every RetryUntrained.
func (d *Dimension) TrainDue(now time.Time) bool {
	if !d.variable {
		return false
	}
	if len(d.models) == 0 {
		if d.collected < d.cfg.samples(d.cfg.MinTrainingWindow) {
			return false
		}
		return !d.attempted || !now.Before(d.lastTraining.Add(d.cfg.RetryUntrained))
	}
	return d.lastTraining.Add(d.cfg.TrainEvery).Before(now)
}

// Train fits a model on the metric's history (values one per step, the last
// taken at now, NaN where nothing was collected; see Fit) and keeps it with
// the latest Config.Models. On success the metric is trained again (no
// longer silenced). ErrNotEnoughData leaves the models as they were.
func (d *Dimension) Train(now time.Time, values []float64) error {
	d.lastTraining, d.attempted = now, true
	d.variable = false
	m, err := Fit(values, now, *d.cfg)
	if err != nil {
		if errors.Is(err, ErrNotEnoughData) && len(d.models) == 0 {
			d.variable = true // retried after RetryUntrained
		}
		return err
	}
	d.keep(m)
	d.status = Trained
	d.scored, d.anomalous = 0, 0
	return nil
}

// keep adds m to the models, dropping one when there are Config.Models
// already: the oldest, or, as Netdata does, the newest when the one before
// it overlaps both it and m (retraining faster than the window moves).
func (d *Dimension) keep(m Model) {
	if len(d.models) < d.cfg.Models {
		d.models = append(d.models, m)
		return
	}
	n := len(d.models)
	if n > 2 {
		newest, middle := &d.models[n-1], &d.models[n-2]
		if middle.After.Before(newest.Before) && middle.Before.After(m.After) {
			d.models[n-1] = m
			return
		}
	}
	copy(d.models, d.models[1:])
	d.models[n-1] = m
}

// Status is the metric's training status.
func (d *Dimension) Status() Status { return d.status }

// Models returns the metric's models, oldest first. The slice is the
// Dimension's own: do not change it.
func (d *Dimension) Models() []Model { return d.models }

// Counted reports whether the metric counts toward a node's anomaly rate,
// as Netdata counts: a constant metric (normal) or a trained one; not a
// changing metric without a model.
func (d *Dimension) Counted() bool {
	return !d.variable || d.status != Untrained
}
