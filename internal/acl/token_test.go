package acl

import (
	"bytes"
	"errors"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"policy ok", ValidatePolicy(&Policy{Name: "web-read_1", Rules: `service "web" { policy = "read" }`})},
		{"built-in read-only name", ValidatePolicy(&Policy{ID: GlobalReadOnlyID, Name: "builtin/global-read-only"})},
		{"role ok", ValidateRole(&Role{Name: "ops", ServiceIdentities: []ServiceIdentity{{ServiceName: "web-1"}}})},
		{"token ok", ValidateToken(&Token{ServiceIdentities: []ServiceIdentity{{ServiceName: "api"}}})},
	}
	for _, c := range cases {
		if c.err != nil {
			t.Errorf("%s: %v", c.name, c.err)
		}
	}
	bad := []struct {
		name string
		err  error
	}{
		{"policy name with a slash", ValidatePolicy(&Policy{Name: "a/b"})},
		{"policy without a name", ValidatePolicy(&Policy{})},
		{"policy rules", ValidatePolicy(&Policy{Name: "x", Rules: `service "web" { policy = "wirte" }`})},
		{"role name", ValidateRole(&Role{Name: "a b"})},
		{"role identity", ValidateRole(&Role{Name: "r", ServiceIdentities: []ServiceIdentity{{ServiceName: "Web"}}})},
		{"token identity without name", ValidateToken(&Token{ServiceIdentities: []ServiceIdentity{{}}})},
		{"token negative ttl", ValidateToken(&Token{ExpirationTTL: -1})},
	}
	for _, c := range bad {
		if !errors.Is(c.err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, c.err)
		}
	}
}

func TestHash(t *testing.T) {
	a := Token{AccessorID: "a", SecretID: "s", Policies: []Link{{ID: "p1"}}}
	b := a
	a.SetHash()
	b.SetHash()
	if !bytes.Equal(a.Hash, b.Hash) || len(a.Hash) != 32 {
		t.Fatalf("hash not stable: %x %x", a.Hash, b.Hash)
	}
	b.Policies = []Link{{ID: "p2"}}
	b.SetHash()
	if bytes.Equal(a.Hash, b.Hash) {
		t.Fatal("a different policy gives the same hash")
	}
	p, q := Policy{Name: "x", Rules: "a"}, Policy{Name: "x", Rules: "b"}
	p.SetHash()
	q.SetHash()
	if bytes.Equal(p.Hash, q.Hash) {
		t.Fatal("different rules give the same hash")
	}
}

func TestDedupLinks(t *testing.T) {
	got := DedupLinks([]Link{{ID: "a"}, {ID: "b"}, {ID: "a", Name: "x"}})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" {
		t.Fatalf("%v", got)
	}
}
