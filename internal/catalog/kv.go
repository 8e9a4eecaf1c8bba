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

// KVLock is the lock part of a KV entry: the session holding it (empty
// when free) and how many times it was acquired.
type KVLock struct {
	LockIndex uint64
	Session   string
}

// EncodeKV wraps a KV value and its flags in orbit's small stored envelope:
// one version byte, eight bytes of flags (big-endian), then the value. An
// entry that was ever locked uses EncodeKVLock.
func EncodeKV(flags uint64, value []byte) []byte {
	b := make([]byte, 9+len(value))
	b[0] = 1
	binary.BigEndian.PutUint64(b[1:9], flags)
	copy(b[9:], value)
	return b
}

// EncodeKVLock is the envelope of an entry with a lock: version byte 2,
// eight bytes of flags, eight of lock index, one byte of session length,
// the session, then the value. A zero lock is stored as EncodeKV.
func EncodeKVLock(flags uint64, lock KVLock, value []byte) []byte {
	if lock == (KVLock{}) {
		return EncodeKV(flags, value)
	}
	n := 18 + len(lock.Session)
	b := make([]byte, n+len(value))
	b[0] = 2
	binary.BigEndian.PutUint64(b[1:9], flags)
	binary.BigEndian.PutUint64(b[9:17], lock.LockIndex)
	b[17] = byte(len(lock.Session))
	copy(b[18:], lock.Session)
	copy(b[n:], value)
	return b
}

// DecodeKV reverses EncodeKV and EncodeKVLock, dropping the lock.
func DecodeKV(b []byte) (flags uint64, value []byte, err error) {
	flags, _, value, err = DecodeKVLock(b)
	return flags, value, err
}

// DecodeKVLock reverses EncodeKV and EncodeKVLock.
func DecodeKVLock(b []byte) (flags uint64, lock KVLock, value []byte, err error) {
	switch {
	case len(b) >= 9 && b[0] == 1:
		return binary.BigEndian.Uint64(b[1:9]), KVLock{}, b[9:], nil
	case len(b) >= 18 && b[0] == 2 && len(b) >= 18+int(b[17]):
		n := 18 + int(b[17])
		lock = KVLock{LockIndex: binary.BigEndian.Uint64(b[9:17]), Session: string(b[18:n])}
		return binary.BigEndian.Uint64(b[1:9]), lock, b[n:], nil
	}
	return 0, KVLock{}, nil, errors.New("corrupt KV envelope")
}
