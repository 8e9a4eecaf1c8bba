package tsdb

import (
	"math"
	"math/bits"
)

// Encoding is how a dimension's per-second values are compressed.
type Encoding uint8

const (
	// Gauge values are integers that wander: each is stored as its
	// difference from the previous one (memory in KiB, open files).
	Gauge Encoding = iota
	// Counter values are integers that grow at a varying rate: each is
	// stored as its delta-of-delta (jiffies, bytes, packets).
	Counter
	// Float values are stored as Gorilla's XOR with the previous value
	// (Prometheus samples, ratios).
	Float
	// FloatCounter values are stored as Float ones and read as per-second
	// rates, as Counter ones (Prometheus counters).
	FloatCounter
)

// isFloat says whether values are stored as XORed floats.
func (e Encoding) isFloat() bool { return e == Float || e == FloatCounter }

// Incremental says whether values are read as per-second rates.
func (e Encoding) Incremental() bool { return e == Counter || e == FloatCounter }

// Bit-width classes of the variable-length fields: a value goes in the
// first class wide enough for it, after a unary prefix naming the class
// (i ones then a zero; the last class has no zero). Class 0 holds only 0,
// so a regular timestamp or an unchanged value costs one bit.
var (
	timeClasses = []int{0, 7, 12, 32, 64}
	intClasses  = []int{0, 4, 8, 16, 32, 64}
)

func writeClassed(w *bitWriter, classes []int, v int64) {
	zz := zigzag(v)
	for i, width := range classes {
		if width < 64 && zz >= 1<<width {
			continue
		}
		if i < len(classes)-1 {
			w.write(1<<(i+1)-2, i+1) // i ones, then a zero
		} else {
			w.write(1<<i-1, i)
		}
		w.write(zz, width)
		return
	}
}

func readClassed(r *bitReader, classes []int) (int64, bool) {
	i, ok := r.ones(len(classes) - 1)
	if !ok {
		return 0, false
	}
	zz, ok := r.read(classes[i])
	return unzigzag(zz), ok
}

// chunk is one run of per-second samples compressed Gorilla-style: the
// first timestamp is kept aside, each following one as the delta of its
// delta (1 bit when samples are a second apart), each value by its
// Encoding, and one anomaly bit per sample.
type chunk struct {
	enc         Encoding
	w           bitWriter
	n           int
	first, last int64 // timestamps of the first and last samples

	tDelta      int64  // last timestamp delta
	iv, ivDelta int64  // Gauge/Counter: last value and its delta
	fv          uint64 // Float: last value's bits
	lead, trail int    // Float: the last XOR's window
}

func newChunk(enc Encoding) *chunk { return &chunk{enc: enc} }

// append adds a sample; t must be after the last one.
func (c *chunk) append(t int64, v float64, anomalous bool) {
	c.w.bit(anomalous)
	if c.n == 0 {
		c.first, c.last, c.tDelta = t, t, 1
		if c.enc.isFloat() {
			c.fv = math.Float64bits(v)
			c.w.write(c.fv, 64)
			c.lead, c.trail = 65, 0 // no window yet
		} else {
			c.iv = int64(v)
			c.w.write(uint64(c.iv), 64)
		}
		c.n++
		return
	}
	d := t - c.last
	writeClassed(&c.w, timeClasses, d-c.tDelta)
	c.tDelta, c.last = d, t
	c.n++
	switch c.enc {
	case Float, FloatCounter:
		c.appendFloat(v)
	default:
		iv := int64(v)
		pred := c.iv
		if c.enc == Counter {
			pred += c.ivDelta
		}
		writeClassed(&c.w, intClasses, iv-pred)
		c.ivDelta, c.iv = iv-c.iv, iv
	}
}

func (c *chunk) appendFloat(v float64) {
	b := math.Float64bits(v)
	x := b ^ c.fv
	c.fv = b
	if x == 0 {
		c.w.write(0, 1)
		return
	}
	lead, trail := bits.LeadingZeros64(x), bits.TrailingZeros64(x)
	if lead > 31 {
		lead = 31
	}
	if c.lead <= 64 && lead >= c.lead && trail >= c.trail {
		c.w.write(0b10, 2)
		c.w.write(x>>c.trail, 64-c.lead-c.trail)
		return
	}
	c.lead, c.trail = lead, trail
	sig := 64 - lead - trail
	c.w.write(0b11, 2)
	c.w.write(uint64(lead), 5)
	c.w.write(uint64(sig-1), 6)
	c.w.write(x>>trail, sig)
}

// seal trims the chunk's buffer once it takes no more samples.
func (c *chunk) seal() {
	c.w.b = append([]byte(nil), c.w.b...)
}

// bytes is the chunk's memory for its samples.
func (c *chunk) bytes() int { return cap(c.w.b) }

// iter reads a chunk's samples in order.
type iter struct {
	c   *chunk
	r   bitReader
	i   int
	t   int64
	td  int64
	iv  int64
	ivd int64
	fv  uint64
	ld  int
	tr  int
	// V, T and A are the current sample after next returns true.
	T int64
	V float64
	A bool
}

func (c *chunk) iter() *iter {
	return &iter{c: c, r: bitReader{b: c.w.b, end: c.w.n}}
}

func (it *iter) next() bool {
	if it.i >= it.c.n {
		return false
	}
	a, ok := it.r.read(1)
	if !ok {
		return false
	}
	it.A = a == 1
	if it.i == 0 {
		it.t, it.td = it.c.first, 1
		raw, ok := it.r.read(64)
		if !ok {
			return false
		}
		if it.c.enc.isFloat() {
			it.fv, it.ld, it.tr = raw, 65, 0
		} else {
			it.iv = int64(raw)
		}
	} else if !it.advance() {
		return false
	}
	it.i++
	it.T = it.t
	if it.c.enc.isFloat() {
		it.V = math.Float64frombits(it.fv)
	} else {
		it.V = float64(it.iv)
	}
	return true
}

func (it *iter) advance() bool {
	dod, ok := readClassed(&it.r, timeClasses)
	if !ok {
		return false
	}
	it.td += dod
	it.t += it.td
	if !it.c.enc.isFloat() {
		res, ok := readClassed(&it.r, intClasses)
		if !ok {
			return false
		}
		pred := it.iv
		if it.c.enc == Counter {
			pred += it.ivd
		}
		v := pred + res
		it.ivd, it.iv = v-it.iv, v
		return true
	}
	ctl, ok := it.r.read(1)
	if !ok {
		return false
	}
	if ctl == 0 {
		return true
	}
	ctl, ok = it.r.read(1)
	if !ok {
		return false
	}
	if ctl == 1 {
		ld, ok1 := it.r.read(5)
		sig, ok2 := it.r.read(6)
		if !ok1 || !ok2 {
			return false
		}
		it.ld, it.tr = int(ld), 64-int(ld)-int(sig+1)
	}
	x, ok := it.r.read(64 - it.ld - it.tr)
	if !ok {
		return false
	}
	it.fv ^= x << it.tr
	return true
}
