package catalog

import (
	"encoding/binary"
	"errors"
)

// KVEntry is a Consul KV entry as readers see it.
type KVEntry struct {
	Key         string
	Value       []byte
	Flags       uint64
	CreateIndex uint64
	ModifyIndex uint64
	LockIndex   uint64
	Session     string
}

// EncodeKV wraps a KV value and its flags in orbit's small stored envelope:
// one version byte, eight bytes of flags (big-endian), then the value.
func EncodeKV(flags uint64, value []byte) []byte {
	b := make([]byte, 9+len(value))
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:9], flags)
	copy(b[9:], value)
	return b
}

// DecodeKV reverses EncodeKV.
func DecodeKV(b []byte) (flags uint64, value []byte, err error) {
	if len(b) < 9 || b[0] != 1 {
		return 0, nil, errors.New("corrupt KV envelope")
	}
	return binary.BigEndian.Uint64(b[1:9]), b[9:], nil
}
