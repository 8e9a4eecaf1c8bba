package catalog

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseSessionTTL(t *testing.T) {
	cases := []struct {
		ttl     string
		min     time.Duration
		want    time.Duration
		wantErr string
	}{
		{"", 0, 0, ""},
		{"0s", 0, 0, ""},
		{"10s", 0, 10 * time.Second, ""},
		{"86400s", 0, 86400 * time.Second, ""},
		{"9s", 0, 0, "between 10s and 24h0m0s"},
		{"86401s", 0, 0, "between"},
		{"2s", time.Second, 2 * time.Second, ""},
		{"500ms", time.Second, 0, "between 1s"},
		{"soon", 0, 0, "invalid TTL"},
		{"-10s", 0, 0, "between"},
	}
	for _, tc := range cases {
		got, err := ParseSessionTTL(tc.ttl, tc.min)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseSessionTTL(%q, %v) = %v, %v; want error with %q", tc.ttl, tc.min, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSessionTTL(%q, %v) = %v, %v; want %v", tc.ttl, tc.min, got, err, tc.want)
		}
	}
}

func TestParseBehavior(t *testing.T) {
	cases := []struct{ in, want, wantErr string }{
		{"", BehaviorRelease, ""},
		{"release", BehaviorRelease, ""},
		{"delete", BehaviorDelete, ""},
		{"Delete", "", "invalid Behavior"},
		{"keep", "", "invalid Behavior"},
	}
	for _, tc := range cases {
		got, err := ParseBehavior(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseBehavior(%q) = %q, %v; want error", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseBehavior(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseLockDelay(t *testing.T) {
	cases := []struct {
		raw     string
		want    time.Duration
		wantErr string
	}{
		{"", DefaultLockDelay, ""},
		{"null", DefaultLockDelay, ""},
		{`"15s"`, 15 * time.Second, ""},
		{`"15000ms"`, 15 * time.Second, ""}, // what consul/api sends
		{`"0s"`, 0, ""},
		{"0", 0, ""},
		{"5", 5 * time.Second, ""},          // below 1000: seconds
		{"2000000000", 2 * time.Second, ""}, // otherwise nanoseconds
		{`"61s"`, 0, "between 0s and 1m0s"},
		{"61", 0, "between"},
		{`"-1s"`, 0, "between"},
		{`"later"`, 0, "invalid LockDelay"},
		{"true", 0, "invalid LockDelay"},
	}
	for _, tc := range cases {
		got, err := ParseLockDelay(json.RawMessage(tc.raw))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseLockDelay(%s) = %v, %v; want error with %q", tc.raw, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLockDelay(%s) = %v, %v; want %v", tc.raw, got, err, tc.want)
		}
	}
}

func TestSessionValidate(t *testing.T) {
	ok := Session{ID: "a", Node: "n", Behavior: BehaviorRelease, LockDelay: time.Second, TTL: "10s"}
	cases := []struct {
		name    string
		edit    func(*Session)
		wantErr string
	}{
		{"valid", func(*Session) {}, ""},
		{"no id", func(s *Session) { s.ID = "" }, "no ID"},
		{"no node", func(s *Session) { s.Node = "" }, "missing node"},
		{"empty behavior", func(s *Session) { s.Behavior = "" }, "invalid Behavior"},
		{"long delay", func(s *Session) { s.LockDelay = 2 * time.Minute }, "LockDelay"},
		{"bad ttl", func(s *Session) { s.TTL = "x" }, "invalid TTL"},
	}
	for _, tc := range cases {
		s := ok
		tc.edit(&s)
		err := s.Validate()
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: Validate() = %v; want %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestKVLockEnvelope(t *testing.T) {
	cases := []struct {
		name  string
		flags uint64
		lock  KVLock
		value []byte
		plain bool // stored as the version-1 envelope
	}{
		{"no lock", 7, KVLock{}, []byte("v"), true},
		{"held", 1, KVLock{LockIndex: 3, Session: "0b6e3c4a-0000-4000-8000-000000000001"}, []byte("leader"), false},
		{"released, index kept", 0, KVLock{LockIndex: 9}, nil, false},
		{"empty value", 0, KVLock{LockIndex: 1, Session: "s"}, []byte{}, false},
	}
	for _, tc := range cases {
		b := EncodeKVLock(tc.flags, tc.lock, tc.value)
		if (b[0] == 1) != tc.plain {
			t.Errorf("%s: version %d", tc.name, b[0])
		}
		flags, lock, value, err := DecodeKVLock(b)
		if err != nil || flags != tc.flags || lock != tc.lock || !bytes.Equal(value, tc.value) {
			t.Errorf("%s: got %d %+v %q %v", tc.name, flags, lock, value, err)
		}
		if f, v, err := DecodeKV(b); err != nil || f != tc.flags || !bytes.Equal(v, tc.value) {
			t.Errorf("%s: DecodeKV: %d %q %v", tc.name, f, v, err)
		}
	}
	for _, bad := range [][]byte{nil, {1}, {3, 0, 0, 0, 0, 0, 0, 0, 0}, append([]byte{2}, make([]byte, 16)...), append(append([]byte{2}, make([]byte, 16)...), 5, 'a')} {
		if _, _, _, err := DecodeKVLock(bad); err == nil {
			t.Errorf("DecodeKVLock(%v) accepted", bad)
		}
	}
}
