package anomaly

import "math"

// Netdata's feature extraction: "num samples to diff = 1", "num samples to
// smooth = 3", "num samples to lag = 5".
const (
	DiffN   = 1
	SmoothN = 3
	LagN    = 5
	// Span is how many consecutive values make one feature vector.
	Span = DiffN + SmoothN + LagN
)

// Vector is one feature vector: LagN+1 consecutive smoothed differences,
// oldest first.
type Vector [LagN + 1]float64

// smoothed writes into dst the differences of values (each value minus the
// one DiffN before it) averaged over SmoothN consecutive differences, so
// dst[i] covers values[i .. i+DiffN+SmoothN-1]. It returns dst[:n] with
// n = len(values)-DiffN-SmoothN+1, or nothing when values are too few.
func smoothed(dst, values []float64) []float64 {
	n := len(values) - DiffN - SmoothN + 1
	if n <= 0 {
		return dst[:0]
	}
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	var sum float64
	for i := 0; i < SmoothN-1; i++ {
		sum += values[i+DiffN] - values[i]
	}
	for i := range n {
		last := i + SmoothN - 1
		sum += values[last+DiffN] - values[last]
		dst[i] = sum / SmoothN
		sum -= values[i+DiffN] - values[i]
	}
	return dst
}

// Extract appends to dst the feature vectors of values (oldest first, one
// per step, no gaps): len(values)-Span+1 of them, the i-th made from
// values[i : i+Span]. keep, when not nil, chooses which vectors are
// appended by their index (Netdata's random sampling).
func Extract(dst []Vector, values []float64, keep func(i int) bool) []Vector {
	s := smoothed(nil, values)
	for i := 0; i+LagN < len(s); i++ {
		if keep != nil && !keep(i) {
			continue
		}
		var v Vector
		copy(v[:], s[i:i+LagN+1])
		dst = append(dst, v)
	}
	return dst
}

// last returns the feature vector of exactly Span values.
func last(values *[Span]float64) Vector {
	var s [LagN + 1]float64
	smoothed(s[:0:LagN+1], values[:])
	return Vector(s)
}

// sampled is Netdata's random sampling made deterministic: vector i is
// kept when a hash of i falls below ratio of the hash's range, so the same
// window always trains the same model.
func sampled(ratio float64) func(int) bool {
	if ratio >= 1 {
		return nil
	}
	cutoff := uint32(ratio * math.MaxUint32)
	return func(i int) bool {
		return uint32(splitmix64(uint64(i))>>32) <= cutoff
	}
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// usable reports whether v is a collected number (Netdata skips NaN and
// infinities as not collected).
func usable(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
