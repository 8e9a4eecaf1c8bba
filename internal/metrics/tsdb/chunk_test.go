package tsdb

import (
	"math"
	"math/rand/v2"
	"testing"
)

type sample struct {
	t int64
	v float64
	a bool
}

func roundTrip(t *testing.T, enc Encoding, in []sample) *chunk {
	t.Helper()
	c := newChunk(enc)
	for _, s := range in {
		c.append(s.t, s.v, s.a)
	}
	c.seal()
	it := c.iter()
	for i, want := range in {
		if !it.next() {
			t.Fatalf("enc %d: stopped after %d of %d samples", enc, i, len(in))
		}
		same := it.V == want.v || (math.IsNaN(it.V) && math.IsNaN(want.v))
		if it.T != want.t || !same || it.A != want.a {
			t.Fatalf("enc %d sample %d: got (%d, %v, %v), want (%d, %v, %v)", enc, i, it.T, it.V, it.A, want.t, want.v, want.a)
		}
	}
	if it.next() {
		t.Fatalf("enc %d: a sample past the %d written", enc, len(in))
	}
	return c
}

func TestChunkRoundTrip(t *testing.T) {
	seq := func(start int64, vals ...float64) []sample {
		out := make([]sample, len(vals))
		for i, v := range vals {
			out[i] = sample{t: start + int64(i), v: v}
		}
		return out
	}
	tests := []struct {
		name string
		enc  Encoding
		in   []sample
		// maxBits bounds the encoded size after the first sample's 65 bits.
		maxBits int
	}{
		{"one sample", Gauge, seq(1700000000, 42), 0},
		{"constant gauge: 2 bits a sample", Gauge, seq(1700000000, 5, 5, 5, 5, 5, 5), 5 * 3},
		{"steady counter: 3 bits a sample", Counter, seq(1700000000, 100, 200, 300, 400, 500), 3*3 + 13},
		{"negative and huge integers", Gauge, seq(10, -1, math.MaxInt32, -math.MaxInt32, 1<<52, -(1 << 52), 0), 1000},
		{"counter reset", Counter, seq(10, 1e9, 1e9+5, 3, 9), 1000},
		{"gaps and irregular steps", Gauge, []sample{{10, 1, false}, {11, 2, true}, {15, 3, false}, {16, 4, false}, {100000, 5, true}, {100001, 5, false}}, 1000},
		{"floats", Float, seq(10, 0.5, 0.5, 0.25, 3.14159, -2.5e-300, math.Inf(1), math.NaN(), 1e308, 0), 1000},
		{"constant float: 3 bits a sample", Float, seq(10, 1.5, 1.5, 1.5, 1.5), 3 * 3},
		{"anomaly bits", Float, []sample{{1, 1, true}, {2, 1, false}, {3, 1, true}}, 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := roundTrip(t, tt.enc, tt.in)
			if bits := c.w.n - 65; tt.maxBits > 0 && bits > tt.maxBits {
				t.Errorf("%d bits after the first sample, want at most %d", bits, tt.maxBits)
			}
		})
	}
}

// TestChunkProperty round-trips random series of every encoding: random
// steps (mostly one second), random walks, bursts and resets.
func TestChunkProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 500; iter++ {
		enc := Encoding(r.IntN(4))
		n := 1 + r.IntN(300)
		in := make([]sample, n)
		ts := r.Int64N(2e9)
		v := float64(r.Int64N(1e6) - 5e5)
		for i := range in {
			switch r.IntN(10) {
			case 0:
				ts += 1 + r.Int64N(1e6)
			default:
				ts++
			}
			switch r.IntN(6) {
			case 0:
				v = float64(r.Int64() >> r.IntN(64))
			case 1:
				v = -v
			default:
				v += float64(r.Int64N(2000) - 1000)
			}
			if enc.isFloat() && r.IntN(2) == 0 {
				v = r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))
			}
			in[i] = sample{t: ts, v: v, a: r.IntN(20) == 0}
		}
		roundTrip(t, enc, in)
	}
}

// TestChunkSize checks the goal of at most 2 bytes per sample on series
// shaped like the node's: idle counters, busy counters, wandering gauges.
func TestChunkSize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 3600
	var bits, samples int
	add := func(enc Encoding, gen func(i int) float64) {
		c := newChunk(enc)
		for i := 0; i < n; i++ {
			c.append(int64(1700000000+i), gen(i), false)
		}
		bits += c.w.n
		samples += n
	}
	// 60 % of a node's metrics barely move (errors, drops, idle disks).
	for k := 0; k < 6; k++ {
		add(Counter, func(i int) float64 { return float64(1000 + i/900) })
	}
	// Busy counters: jiffies and packets at a noisy rate.
	cnt := 0.0
	for k := 0; k < 2; k++ {
		add(Counter, func(int) float64 { cnt += float64(80 + r.IntN(40)); return cnt })
	}
	// Gauges: memory in KiB that wanders.
	g := 2e6
	for k := 0; k < 2; k++ {
		add(Gauge, func(int) float64 { g += float64(r.IntN(64) - 32); return g })
	}
	perSample := float64(bits) / 8 / float64(samples)
	t.Logf("%.2f bytes per sample", perSample)
	if perSample > 2 {
		t.Errorf("%.2f bytes per sample, want at most 2", perSample)
	}
}
