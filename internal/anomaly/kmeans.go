package anomaly

import (
	"errors"
	"math"
	"time"
)

// ErrNotEnoughData is returned by Fit and Dimension.Train when a window
// holds fewer collected values than the minimum training window.
var ErrNotEnoughData = errors.New("not enough collected values to train")

// Model is one trained k-means model of a metric (k = 2).
type Model struct {
	// After and Before bound the window it was trained on.
	After, Before time.Time
	// Centers are the two cluster centres.
	Centers [2]Vector
	// MinDist and MaxDist are the smallest and largest mean distance of a
	// training vector to the two centres: a sample's score is its mean
	// distance placed on this range.
	MinDist, MaxDist float64
}

// Score is the sample's anomaly score in [0, 100], Netdata's: its mean
// distance to the two centres on the min–max scale of the training
// distances, times 100, capped at 100 (0 when the range is empty; NaN when
// the distance is not a number).
func (m *Model) Score(v Vector) float64 {
	d := meanDist(&m.Centers, &v)
	if m.MaxDist == m.MinDist {
		return 0
	}
	s := 100 * math.Abs((d-m.MinDist)/(m.MaxDist-m.MinDist))
	if s > 100 {
		return 100
	}
	return s
}

func dist2(a, b *Vector) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

func meanDist(c *[2]Vector, v *Vector) float64 {
	return (math.Sqrt(dist2(&c[0], v)) + math.Sqrt(dist2(&c[1], v))) / 2
}

// KMeans clusters vectors around two centres: the first is the vector
// nearest the mean of all, the second the vector farthest from the first
// (points far apart, as dlib's pick_initial_centers), then Lloyd's
// iterations until no vector changes cluster or maxIter is reached. It
// needs at least two vectors.
func KMeans(vectors []Vector, maxIter int) ([2]Vector, error) {
	var c [2]Vector
	if len(vectors) < 2 {
		return c, ErrNotEnoughData
	}
	var mean Vector
	for i := range vectors {
		for j := range mean {
			mean[j] += vectors[i][j]
		}
	}
	for j := range mean {
		mean[j] /= float64(len(vectors))
	}
	c[0] = vectors[nearest(vectors, &mean, false)]
	c[1] = vectors[nearest(vectors, &c[0], true)]

	assign := make([]uint8, len(vectors))
	for i := range assign {
		assign[i] = 2 // none yet
	}
	for range maxIter {
		changed := false
		var sum [2]Vector
		var count [2]int
		for i := range vectors {
			k := uint8(0)
			if dist2(&c[1], &vectors[i]) < dist2(&c[0], &vectors[i]) {
				k = 1
			}
			if assign[i] != k {
				assign[i], changed = k, true
			}
			count[k]++
			for j := range sum[k] {
				sum[k][j] += vectors[i][j]
			}
		}
		if !changed {
			break
		}
		for k := range c {
			if count[k] == 0 {
				continue // an empty cluster keeps its centre
			}
			for j := range c[k] {
				c[k][j] = sum[k][j] / float64(count[k])
			}
		}
	}
	return c, nil
}

// nearest returns the index of the vector nearest to p, or the farthest.
func nearest(vectors []Vector, p *Vector, farthest bool) int {
	best, bestD := 0, dist2(&vectors[0], p)
	for i := 1; i < len(vectors); i++ {
		d := dist2(&vectors[i], p)
		if (!farthest && d < bestD) || (farthest && d > bestD) || math.IsNaN(bestD) {
			best, bestD = i, d
		}
	}
	return best
}

// Fit trains one model on values, one per cfg.Step, the last one taken at
// before; NaN or infinite values were not collected. As Netdata: only the
// last TrainingWindow of values is used, leading gaps are dropped, later
// gaps repeat the value before them, and at least MinTrainingWindow worth
// of collected values are needed. cfg must have its defaults filled in.
func Fit(values []float64, before time.Time, cfg Config) (Model, error) {
	if max := cfg.samples(cfg.TrainingWindow); len(values) > max {
		values = values[len(values)-max:]
	}
	start := 0
	for start < len(values) && !usable(values[start]) {
		start++
	}
	window := make([]float64, 0, len(values)-start)
	collected := 0
	for _, v := range values[start:] {
		if usable(v) {
			collected++
		} else {
			v = window[len(window)-1]
		}
		window = append(window, v)
	}
	if collected < cfg.samples(cfg.MinTrainingWindow) || len(window) < Span {
		return Model{}, ErrNotEnoughData
	}
	vectors := Extract(make([]Vector, 0, int(float64(len(window))*cfg.SamplingRatio)+8), window, sampled(cfg.SamplingRatio))
	centers, err := KMeans(vectors, cfg.MaxIterations)
	if err != nil {
		return Model{}, err
	}
	m := Model{
		After:   before.Add(-time.Duration(len(values)-1) * cfg.Step),
		Before:  before,
		Centers: centers,
		MinDist: math.MaxFloat64,
		MaxDist: -math.MaxFloat64,
	}
	for i := range vectors {
		d := meanDist(&m.Centers, &vectors[i])
		m.MinDist = math.Min(m.MinDist, d)
		m.MaxDist = math.Max(m.MaxDist, d)
	}
	return m, nil
}
