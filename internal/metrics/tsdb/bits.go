package tsdb

// bitWriter appends bits, most significant first, to a byte slice.
type bitWriter struct {
	b []byte
	n int // bits written
}

// write appends the low nbits of v.
func (w *bitWriter) write(v uint64, nbits int) {
	for nbits > 0 {
		if w.n%8 == 0 {
			w.b = append(w.b, 0)
		}
		free := 8 - w.n%8
		take := min(free, nbits)
		bits := byte(v>>(nbits-take)) & (1<<take - 1)
		w.b[len(w.b)-1] |= bits << (free - take)
		w.n += take
		nbits -= take
	}
}

func (w *bitWriter) bit(on bool) {
	if on {
		w.write(1, 1)
	} else {
		w.write(0, 1)
	}
}

// bitReader reads what a bitWriter wrote.
type bitReader struct {
	b   []byte
	pos int // next bit
	end int // bits available
}

// read returns the next nbits (≤ 64); ok is false past the end.
func (r *bitReader) read(nbits int) (uint64, bool) {
	if r.pos+nbits > r.end {
		return 0, false
	}
	var v uint64
	for nbits > 0 {
		byt := r.b[r.pos/8]
		avail := 8 - r.pos%8
		take := min(avail, nbits)
		bits := (byt >> (avail - take)) & (1<<take - 1)
		v = v<<take | uint64(bits)
		r.pos += take
		nbits -= take
	}
	return v, true
}

// ones reads up to max leading 1 bits, stopping after the first 0, and
// returns how many 1s it read.
func (r *bitReader) ones(max int) (int, bool) {
	n := 0
	for n < max {
		b, ok := r.read(1)
		if !ok {
			return 0, false
		}
		if b == 0 {
			return n, true
		}
		n++
	}
	return n, true
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }
