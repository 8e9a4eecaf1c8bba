package anomaly

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Netdata's defaults ([ml] in netdata.conf).
const (
	// DefaultTrainingWindow is "maximum num samples to train = 21600" at 1 s.
	DefaultTrainingWindow = 6 * time.Hour
	// DefaultMinTrainingWindow is "minimum num samples to train = 900" at 1 s.
	DefaultMinTrainingWindow = 15 * time.Minute
	// DefaultTrainEvery is "train every = 3h".
	DefaultTrainEvery = 3 * time.Hour
	// DefaultModels is "number of models per dimension = 18".
	DefaultModels = 18
	// DefaultThreshold is "dimension anomaly score threshold = 0.99".
	DefaultThreshold = 0.99
	// DefaultStep is the collection interval (Netdata's update every).
	DefaultStep = time.Second
	// DefaultSamplingRatio is "random sampling ratio = 0.2": the share of
	// a window's feature vectors k-means is trained on.
	DefaultSamplingRatio = 0.2
	// DefaultMaxIterations is "maximum number of k-means iterations = 1000".
	DefaultMaxIterations = 1000
	// DefaultSuppressionWindow is "dimension anomaly rate suppression
	// window = 15m" and DefaultSuppressionThreshold its "threshold = 450":
	// a metric anomalous for 450 of the samples scored since its last
	// training (once at least a window's worth were scored) is silenced
	// until it is trained again.
	DefaultSuppressionWindow    = 15 * time.Minute
	DefaultSuppressionThreshold = 450
	// DefaultRetryUntrained spaces training attempts of a metric that has
	// no model yet and whose last attempt found too little history.
	DefaultRetryUntrained = time.Minute
)

// Config tunes detection. The zero value of every field is Netdata's
// default; WithDefaults fills them in and Validate checks the result.
type Config struct {
	// TrainingWindow is how much history one model is trained on (at most
	// TrainingWindow/Step values); 0 means 6h.
	TrainingWindow time.Duration
	// MinTrainingWindow is how much collected history a first model needs;
	// 0 means 15m.
	MinTrainingWindow time.Duration
	// TrainEvery is how long a model serves before the next is trained;
	// 0 means 3h.
	TrainEvery time.Duration
	// Models is how many of a metric's latest models must all agree that a
	// sample is anomalous; 0 means 18.
	Models int
	// Threshold is the dimension anomaly score threshold, a fraction of a
	// model's min–max range of training distances; 0 means 0.99.
	Threshold float64
	// Step is the interval between a metric's samples; 0 means 1s.
	Step time.Duration
	// SamplingRatio is the share of feature vectors trained on; 0 means 0.2.
	SamplingRatio float64
	// MaxIterations bounds k-means; 0 means 1000.
	MaxIterations int
	// SuppressionWindow and SuppressionThreshold silence a metric that is
	// anomalous too often (see DefaultSuppressionWindow); 0 means Netdata's.
	SuppressionWindow    time.Duration
	SuppressionThreshold int
	// RetryUntrained spaces failed first trainings; 0 means 1m.
	RetryUntrained time.Duration
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&c.TrainingWindow, DefaultTrainingWindow)
	setDur(&c.MinTrainingWindow, DefaultMinTrainingWindow)
	setDur(&c.TrainEvery, DefaultTrainEvery)
	setDur(&c.Step, DefaultStep)
	setDur(&c.SuppressionWindow, DefaultSuppressionWindow)
	setDur(&c.RetryUntrained, DefaultRetryUntrained)
	if c.Models == 0 {
		c.Models = DefaultModels
	}
	if c.Threshold == 0 {
		c.Threshold = DefaultThreshold
	}
	if c.SamplingRatio == 0 {
		c.SamplingRatio = DefaultSamplingRatio
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = DefaultMaxIterations
	}
	if c.SuppressionThreshold == 0 {
		c.SuppressionThreshold = DefaultSuppressionThreshold
	}
	return c
}

// Validate reports the first setting that cannot work, naming it as the
// agent's configuration does. It expects defaults already filled in.
func (c Config) Validate() error {
	switch {
	case c.Step <= 0:
		return fmt.Errorf("ml step %s: want a positive duration", c.Step)
	case c.MinTrainingWindow < Span*c.Step:
		return fmt.Errorf("ml min_training_window %s: want at least %d samples (%s)", c.MinTrainingWindow, Span, Span*c.Step)
	case c.TrainingWindow < c.MinTrainingWindow:
		return fmt.Errorf("ml training_window %s: want at least min_training_window (%s)", c.TrainingWindow, c.MinTrainingWindow)
	case c.TrainEvery < c.Step:
		return fmt.Errorf("ml train_every %s: want at least one step (%s)", c.TrainEvery, c.Step)
	case c.Models < 1:
		return fmt.Errorf("ml models %d: want at least 1", c.Models)
	case !(c.Threshold > 0 && c.Threshold <= 1):
		return fmt.Errorf("ml threshold %g: want a fraction in (0, 1]", c.Threshold)
	case !(c.SamplingRatio > 0 && c.SamplingRatio <= 1):
		return fmt.Errorf("ml sampling ratio %g: want a fraction in (0, 1]", c.SamplingRatio)
	case c.MaxIterations < 1:
		return fmt.Errorf("ml k-means iterations %d: want at least 1", c.MaxIterations)
	case c.SuppressionWindow < 0 || c.SuppressionThreshold < 0 || c.RetryUntrained < 0:
		return errors.New("ml suppression window, suppression threshold and retry: want no negative value")
	}
	return nil
}

// samples is how many values of c.Step fit in d, rounded up (Netdata
// rounds its windows up to whole samples).
func (c Config) samples(d time.Duration) int {
	n := (d + c.Step - 1) / c.Step
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

// Block is the agent's `metrics { ml { ... } }` block as written: the
// three settings Netdata users change, as duration strings.
type Block struct {
	TrainingWindow    string `hcl:"training_window,optional"`
	MinTrainingWindow string `hcl:"min_training_window,optional"`
	TrainEvery        string `hcl:"train_every,optional"`
}

// Config parses the block into a Config with defaults filled in and
// validated; an error names the setting. A nil block is all defaults.
func (b *Block) Config() (Config, error) {
	var c Config
	if b != nil {
		for _, s := range []struct {
			name, text string
			dst        *time.Duration
		}{
			{"training_window", b.TrainingWindow, &c.TrainingWindow},
			{"min_training_window", b.MinTrainingWindow, &c.MinTrainingWindow},
			{"train_every", b.TrainEvery, &c.TrainEvery},
		} {
			if s.text == "" {
				continue
			}
			d, err := time.ParseDuration(s.text)
			if err != nil || d <= 0 {
				return Config{}, fmt.Errorf("ml %s %q: want a positive duration such as \"15m\"", s.name, s.text)
			}
			*s.dst = d
		}
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}
