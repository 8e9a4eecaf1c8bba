package anomaly

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestKMeans(t *testing.T) {
	for _, tc := range []struct {
		name    string
		vectors []Vector
		want    [2]Vector // in either order
		err     error
	}{
		{"one vector is too few", []Vector{{1}}, [2]Vector{}, ErrNotEnoughData},
		{"two vectors are their own centres", []Vector{{1}, {3}}, [2]Vector{{1}, {3}}, nil},
		{"two groups", []Vector{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {10, 10}, {10, 11}, {11, 10}, {11, 11}},
			[2]Vector{{0.5, 0.5}, {10.5, 10.5}}, nil},
		{"an outlier gets its own centre", []Vector{{1}, {1}, {2}, {2}, {100}},
			[2]Vector{{1.5}, {100}}, nil},
		{"identical vectors share one place", []Vector{{4, 4}, {4, 4}, {4, 4}}, [2]Vector{{4, 4}, {4, 4}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := KMeans(tc.vectors, DefaultMaxIterations)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got != tc.want && got != [2]Vector{tc.want[1], tc.want[0]} {
				t.Errorf("centres = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScore(t *testing.T) {
	m := Model{Centers: [2]Vector{{0}, {2}}, MinDist: 1, MaxDist: 3}
	for _, tc := range []struct {
		v    Vector
		want float64
	}{
		{Vector{1}, 0},    // mean distance 1: the minimum
		{Vector{3}, 50},   // (1+3)/2 = 2: half way
		{Vector{4}, 100},  // 3: the maximum
		{Vector{-9}, 100}, // beyond: capped
		{Vector{1, 1}, 20.71067811865476},
	} {
		if got := m.Score(tc.v); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("Score(%v) = %v, want %v", tc.v, got, tc.want)
		}
	}
	flat := Model{MinDist: 2, MaxDist: 2}
	if got := flat.Score(Vector{100}); got != 0 {
		t.Errorf("a model with an empty range scores %v, want 0", got)
	}
}

func TestFit(t *testing.T) {
	cfg := Config{MinTrainingWindow: 20 * time.Second, TrainingWindow: time.Minute, SamplingRatio: 1}.WithDefaults()
	before := time.Unix(1_000_000, 0)
	nan := math.NaN()
	ramp := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i % 7)
		}
		return v
	}

	t.Run("too few collected values", func(t *testing.T) {
		v := ramp(30)
		for i := 0; i < 12; i++ {
			v[i*2] = nan
		}
		if _, err := Fit(v, before, cfg); !errors.Is(err, ErrNotEnoughData) {
			t.Fatalf("18 collected of 20 needed: err = %v", err)
		}
	})
	t.Run("the window is the last training_window", func(t *testing.T) {
		m, err := Fit(ramp(500), before, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if m.Before != before || m.After != before.Add(-59*time.Second) {
			t.Errorf("window %v..%v, want the last 60 values", m.After, m.Before)
		}
		if !(m.MinDist <= m.MaxDist) {
			t.Errorf("min %v > max %v", m.MinDist, m.MaxDist)
		}
	})
	t.Run("gaps repeat the value before", func(t *testing.T) {
		v, filled := ramp(40), ramp(40)
		v[0], v[1] = nan, nan // leading gaps are dropped
		v[20], filled[20] = nan, filled[19]
		a, err := Fit(v, before, cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Fit(filled[2:], before, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if a.Centers != b.Centers || a.MinDist != b.MinDist || a.MaxDist != b.MaxDist {
			t.Errorf("with gaps %+v, filled %+v", a, b)
		}
	})
	t.Run("the same window trains the same model", func(t *testing.T) {
		c := cfg
		c.SamplingRatio = 0.2
		v := ramp(60)
		a, err1 := Fit(v, before, c)
		b, err2 := Fit(v, before, c)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("two fits differ: %+v %v, %+v %v", a, err1, b, err2)
		}
	})
}
