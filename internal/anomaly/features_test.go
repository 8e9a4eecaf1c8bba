package anomaly

import (
	"math"
	"slices"
	"testing"
)

func TestExtract(t *testing.T) {
	even := func(i int) bool { return i%2 == 0 }
	for _, tc := range []struct {
		name   string
		values []float64
		keep   func(int) bool
		want   []Vector
	}{
		{"too few values", []float64{1, 2, 3, 4, 5, 6, 7, 8}, nil, nil},
		{"exactly one span", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8}, nil, []Vector{{1, 1, 1, 1, 1, 1}}},
		{"a constant gives zeros", []float64{7, 7, 7, 7, 7, 7, 7, 7, 7, 7}, nil, []Vector{{}, {}}},
		{"a level shift smooths over three differences", []float64{0, 0, 0, 3, 3, 3, 3, 3, 3, 3}, nil,
			[]Vector{{1, 1, 1, 0, 0, 0}, {1, 1, 0, 0, 0, 0}}},
		{"a spike goes up then down", []float64{0, 0, 0, 3, 0, 0, 0, 0, 0, 0}, nil,
			[]Vector{{1, 0, 0, -1, 0, 0}, {0, 0, -1, 0, 0, 0}}},
		{"the newest difference is last", []float64{0, 0, 0, 0, 0, 0, 0, 0, 6}, nil, []Vector{{0, 0, 0, 0, 0, 2}}},
		{"sampling keeps the chosen indexes", []float64{0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55}, even,
			[]Vector{{2, 3, 4, 5, 6, 7}, {4, 5, 6, 7, 8, 9}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Extract(nil, tc.values, tc.keep)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Extract(%v) = %v, want %v", tc.values, got, tc.want)
			}
		})
	}
}

// The vector scored for a sample is the last vector Extract makes of the
// same values: prediction and training see the same features.
func TestLastMatchesExtract(t *testing.T) {
	var w [Span]float64
	for i := range w {
		w[i] = math.Sin(float64(i)) * float64(i*i)
	}
	all := Extract(nil, w[:], nil)
	if len(all) != 1 || last(&w) != all[0] {
		t.Fatalf("last = %v, Extract = %v", last(&w), all)
	}
}

func TestSampledKeepsAboutTheRatio(t *testing.T) {
	for _, ratio := range []float64{0.05, 0.2, 0.5} {
		keep, n := sampled(ratio), 0
		for i := range 100000 {
			if keep(i) {
				n++
			}
		}
		if got := float64(n) / 100000; math.Abs(got-ratio) > 0.01 {
			t.Errorf("ratio %g kept %g", ratio, got)
		}
	}
	if sampled(1) != nil {
		t.Error("ratio 1 should keep everything (nil filter)")
	}
}
