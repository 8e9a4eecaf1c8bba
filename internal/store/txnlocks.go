package store

import (
	"encoding/json"
	"strconv"
	"time"
)

// The session lock records, for callers that build their own transactions
// of KV locks (the API's /v1/txn) instead of calling KVAcquire/KVRelease:
// an acquired key has a held record, and an acquire waits out the key's
// lock delay. The reaper and DestroySession read these records back.

// HeldKey is the record that session holds key.
func HeldKey(session, key string) string { return heldKey(session, key) }

// HeldRecord is the value of a HeldKey: what to do to the key when the
// session ends (its behavior) and the lock delay to start then.
func HeldRecord(behavior string, lockDelay time.Duration) []byte {
	b, _ := json.Marshal(held{Behavior: behavior, LockDelay: lockDelay})
	return b
}

// LockDelayKey holds the time before which key cannot be acquired.
func LockDelayKey(key string) string { return lockDelayKey(key) }

// LockDelayUntil decodes a LockDelayKey's value (zero when undecodable).
func LockDelayUntil(value []byte) time.Time {
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(0, n)
}
