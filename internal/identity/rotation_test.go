package identity

import (
	"slices"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Policy{RotationPeriod: 100 * time.Hour, PublishAhead: 10 * time.Hour, MaxTokenTTL: 5 * time.Hour}
	h := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	k := func(id string, active int) KeyInfo { return KeyInfo{ID: id, ActiveAt: h(active)} }
	tests := []struct {
		name      string
		now       time.Time
		keys      []KeyInfo
		signer    string
		published []string
		drop      []string
		generate  bool
		newActive time.Time
	}{
		{name: "no key: the first signs at once", now: t0, generate: true, newActive: t0},
		{name: "one key, mid period", now: h(50), keys: []KeyInfo{k("a", 0)}, signer: "a", published: []string{"a"}},
		{name: "one key, just before publish time", now: h(89).Add(59 * time.Minute), keys: []KeyInfo{k("a", 0)},
			signer: "a", published: []string{"a"}},
		{name: "one key, at publish time: next key due at end of period", now: h(90), keys: []KeyInfo{k("a", 0)},
			signer: "a", published: []string{"a"}, generate: true, newActive: h(100)},
		{name: "one key, late: next key still published ahead", now: h(150), keys: []KeyInfo{k("a", 0)},
			signer: "a", published: []string{"a"}, generate: true, newActive: h(160)},
		{name: "next key published, not signing", now: h(95), keys: []KeyInfo{k("b", 100), k("a", 0)},
			signer: "a", published: []string{"a", "b"}},
		{name: "next key signs at its time", now: h(100), keys: []KeyInfo{k("a", 0), k("b", 100)},
			signer: "b", published: []string{"a", "b"}},
		{name: "retired key kept while its tokens live", now: h(104).Add(59 * time.Minute), keys: []KeyInfo{k("a", 0), k("b", 100)},
			signer: "b", published: []string{"a", "b"}},
		{name: "retired key dropped when its last token expired", now: h(105), keys: []KeyInfo{k("a", 0), k("b", 100)},
			signer: "b", published: []string{"b"}, drop: []string{"a"}},
		{name: "three generations", now: h(202), keys: []KeyInfo{k("c", 200), k("a", 0), k("b", 100)},
			signer: "c", published: []string{"b", "c"}, drop: []string{"a"}},
		{name: "pending key: no second one", now: h(99), keys: []KeyInfo{k("a", 0), k("b", 100)},
			signer: "a", published: []string{"a", "b"}},
		{name: "racing servers: same time, greatest id signs", now: h(1), keys: []KeyInfo{k("y", 0), k("x", 0)},
			signer: "y", published: []string{"x", "y"}},
		{name: "only a pending key (clock behind): nothing signs, nothing generated", now: h(-1), keys: []KeyInfo{k("a", 0)},
			published: []string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Decide(tt.now, tt.keys, p)
			if d.Signer != tt.signer {
				t.Errorf("signer = %q, want %q", d.Signer, tt.signer)
			}
			if !slices.Equal(d.Published, tt.published) {
				t.Errorf("published = %v, want %v", d.Published, tt.published)
			}
			if !slices.Equal(d.Drop, tt.drop) {
				t.Errorf("drop = %v, want %v", d.Drop, tt.drop)
			}
			if d.Generate != tt.generate || !d.NewActiveAt.Equal(tt.newActive) {
				t.Errorf("generate = %v at %v, want %v at %v", d.Generate, d.NewActiveAt, tt.generate, tt.newActive)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"defaults", Policy{}, true},
		{"publish ahead longer than the period", Policy{RotationPeriod: time.Hour, PublishAhead: 2 * time.Hour}, false},
		{"negative ttl", Policy{MaxTokenTTL: -time.Second}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
