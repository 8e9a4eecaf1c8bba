package tsdb

import "math"

// agg is one slot of an aggregate tier: the per-second values that fell in
// its minute or hour. float32 keeps a slot at 16 bytes.
type agg struct {
	sum, min, max float32
	count         uint16
	anomalies     uint16
}

// ring is an aggregate tier: slot k%len holds bucket k (seconds/step);
// slots between the newest bucket and an older one are empty (count 0).
type ring struct {
	step   int64
	slots  []agg
	newest int64 // newest bucket written; -1 before any
	first  int64 // first second ever added
}

func newRing(step int64, n int) ring {
	return ring{step: step, slots: make([]agg, n), newest: -1}
}

func (r *ring) add(t int64, v float64, anomalous bool) {
	k := t / r.step
	n := int64(len(r.slots))
	if r.newest < 0 {
		r.first = t
	}
	if k > r.newest {
		// Clear the buckets skipped since the newest (at most the ring).
		from := max(r.newest+1, k-n+1)
		for b := from; b <= k; b++ {
			r.slots[b%n] = agg{}
		}
		r.newest = k
	} else if k <= r.newest-n {
		return // older than the ring holds
	}
	s := &r.slots[k%n]
	f := float32(v)
	if s.count == 0 || f < s.min {
		s.min = f
	}
	if s.count == 0 || f > s.max {
		s.max = f
	}
	s.sum += f
	if s.count < math.MaxUint16 {
		s.count++
	}
	if anomalous && s.anomalies < math.MaxUint16 {
		s.anomalies++
	}
}

// get returns bucket k, or false when the ring no longer (or never) held it.
func (r *ring) get(k int64) (agg, bool) {
	n := int64(len(r.slots))
	if k > r.newest || k <= r.newest-n || k < 0 {
		return agg{}, false
	}
	s := r.slots[k%n]
	return s, s.count > 0
}

// oldest is the first second the ring can still answer for.
func (r *ring) oldest() int64 {
	if r.newest < 0 {
		return math.MaxInt64
	}
	return (r.newest - int64(len(r.slots)) + 1) * r.step
}

// oldestHeld is the oldest second the ring has data for.
func (r *ring) oldestHeld() int64 {
	if r.newest < 0 {
		return math.MaxInt64
	}
	return max(r.first, r.oldest())
}

// series is one dimension's three tiers.
type series struct {
	enc    Encoding
	chunks []*chunk // sealed, oldest first
	head   *chunk
	keep   int // sealed chunks kept

	minutes, hours ring

	// the last raw sample, to turn counters into per-second rates
	lastT   int64
	lastRaw float64
	hasLast bool
}

func newSeries(enc Encoding, cfg Config) *series {
	keep := int((int64(cfg.Seconds.Seconds()) + int64(cfg.ChunkSamples) - 1) / int64(cfg.ChunkSamples))
	return &series{
		enc:     enc,
		keep:    keep,
		minutes: newRing(60, int(cfg.Minutes.Minutes())),
		hours:   newRing(3600, int(cfg.Hours.Hours())),
	}
}

// append stores a raw sample at second t; samples at or before the last
// one are ignored. It reports whether the sample was kept.
func (s *series) append(t int64, raw float64, anomalous bool, chunkSamples int) bool {
	if math.IsNaN(raw) || math.IsInf(raw, 0) || (s.hasLast && t <= s.lastT) {
		return false
	}
	if s.head == nil {
		s.head = newChunk(s.enc)
	}
	s.head.append(t, raw, anomalous)
	if s.head.n >= chunkSamples {
		s.head.seal()
		s.chunks = append(s.chunks, s.head)
		s.head = nil
		if len(s.chunks) > s.keep {
			s.chunks[0] = nil
			s.chunks = s.chunks[1:]
		}
	}
	v, ok := s.value(t, raw)
	s.lastT, s.lastRaw, s.hasLast = t, raw, true
	if ok {
		s.minutes.add(t, v, anomalous)
		s.hours.add(t, v, anomalous)
	}
	return true
}

// value turns a raw sample into the stored per-second value given the
// previous raw sample: counters become rates (none after a reset or the
// first sample), the rest are themselves.
func (s *series) value(t int64, raw float64) (float64, bool) {
	if !s.enc.Incremental() {
		return raw, true
	}
	if !s.hasLast || raw < s.lastRaw || t <= s.lastT {
		return 0, false
	}
	return (raw - s.lastRaw) / float64(t-s.lastT), true
}

// firstSecond is the oldest per-second sample held.
func (s *series) firstSecond() int64 {
	if len(s.chunks) > 0 {
		return s.chunks[0].first
	}
	if s.head != nil {
		return s.head.first
	}
	return math.MaxInt64
}

// bytes is the series' memory: chunk bits plus the aggregate rings.
func (s *series) bytes() int {
	n := 16 * (len(s.minutes.slots) + len(s.hours.slots))
	for _, c := range s.chunks {
		n += c.bytes() + 96
	}
	if s.head != nil {
		n += s.head.bytes() + 96
	}
	return n
}

// seconds calls fn with each per-second value in [from, to], in order: the
// stored value (counters as rates) and the anomaly bit.
func (s *series) seconds(from, to int64, fn func(t int64, v float64, anomalous bool)) {
	all := s.chunks
	if s.head != nil {
		all = append(all[:len(all):len(all)], s.head)
	}
	// Start one chunk early: a counter's first rate needs the sample
	// before from.
	start := 0
	for start < len(all) && all[start].last < from {
		start++
	}
	start = max(start-1, 0)
	var prevT int64
	var prev float64
	has := false
	for _, c := range all[start:] {
		if c.first > to {
			return
		}
		it := c.iter()
		for it.next() {
			if it.T > to {
				return
			}
			v, ok := it.V, true
			if s.enc.Incremental() {
				ok = has && it.V >= prev && it.T > prevT
				if ok {
					v = (it.V - prev) / float64(it.T-prevT)
				}
				prevT, prev, has = it.T, it.V, true
			}
			if ok && it.T >= from {
				fn(it.T, v, it.A)
			}
		}
	}
}
