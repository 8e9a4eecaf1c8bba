package dns

import (
	"hash/maphash"
	"sync/atomic"
)

// packetCache holds packed answers of one table, keyed by the query's
// bytes after its ID (flags, question and OPT record, case preserved), so
// a repeated query is answered without parsing or packing. It belongs to
// one table and dies with it, so it never serves an answer older than the
// table. Slots are atomic pointers: no locks; a collision just replaces.
type packetCache struct {
	seed  maphash.Seed
	slots [16384]atomic.Pointer[packetEntry]
}

type packetEntry struct {
	key  string
	resp []byte // packed answer; bytes 0-1 (the ID) are replaced per query
}

func newPacketCache() *packetCache { return &packetCache{seed: maphash.MakeSeed()} }

func (c *packetCache) slot(key []byte) *atomic.Pointer[packetEntry] {
	return &c.slots[maphash.Bytes(c.seed, key)%uint64(len(c.slots))]
}

// get copies a cached answer for query q into out with q's ID.
func (c *packetCache) get(q, out []byte) ([]byte, bool) {
	if len(q) < 12 {
		return nil, false
	}
	e := c.slot(q[2:]).Load()
	if e == nil || e.key != string(q[2:]) || len(out) < len(e.resp) {
		return nil, false
	}
	n := copy(out, e.resp)
	out[0], out[1] = q[0], q[1]
	return out[:n], true
}

func (c *packetCache) put(q, resp []byte) {
	if len(q) < 12 || len(q) > 512 {
		return
	}
	c.slot(q[2:]).Store(&packetEntry{key: string(q[2:]), resp: append([]byte(nil), resp...)})
}
