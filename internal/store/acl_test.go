package store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func token(accessor, secret string) *acl.Token {
	return &acl.Token{AccessorID: accessor, SecretID: secret, Policies: []acl.Link{{ID: acl.GlobalManagementID, Name: "global-management"}}}
}

func TestACLTokensKeepSecretsApart(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	if _, err := s.CreateACLToken(ctx, token("a1", "s1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateACLToken(ctx, token("a2", "s1")); !errors.Is(err, store.ErrACLSecretInUse) {
		t.Fatalf("second token with the same secret: %v, want secret in use", err)
	}
	if _, err := s.CreateACLToken(ctx, token("a1", "s2")); !errors.Is(err, store.ErrACLAccessorInUse) {
		t.Fatalf("second token with the same accessor: %v, want accessor in use", err)
	}
	kvs, _, err := s.List(ctx, store.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range kvs {
		if bytes.Contains(kv.Value, []byte("s1")) {
			t.Fatalf("secret stored under the shared prefix: %s = %s", kv.Key, kv.Value)
		}
	}
	if a, err := s.ACLAccessorOf(ctx, "s1"); err != nil || a != "a1" {
		t.Fatalf("accessor of s1: %q %v", a, err)
	}
	if sec, err := s.ACLTokenSecret(ctx, "a1"); err != nil || sec != "s1" {
		t.Fatalf("secret of a1: %q %v", sec, err)
	}
	if ok, _, err := s.DeleteACLToken(ctx, "a1"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := s.ACLAccessorOf(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("secret after delete: %v", err)
	}
	if ok, _, err := s.DeleteACLToken(ctx, "a1"); ok || err != nil {
		t.Fatalf("second delete: %v %v", ok, err)
	}
}

func TestACLPolicyNamesAreUnique(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	p1 := &acl.Policy{ID: "p1", Name: "web"}
	if _, err := s.PutACLPolicy(ctx, p1, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p2", Name: "web"}, true); !errors.Is(err, store.ErrACLNameInUse) {
		t.Fatalf("same name: %v", err)
	}
	if _, err := s.PutACLPolicy(ctx, p1, true); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("create twice: %v", err)
	}
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p3", Name: "db"}, false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update a missing policy: %v", err)
	}
	// Renaming frees the old name.
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p1", Name: "web2"}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p2", Name: "web"}, true); err != nil {
		t.Fatalf("old name after rename: %v", err)
	}
	if ok, _, err := s.DeleteACLPolicy(ctx, "p1"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p4", Name: "web2"}, true); err != nil {
		t.Fatalf("name after delete: %v", err)
	}
	if _, err := s.PutACLRole(ctx, &acl.Role{ID: "r1", Name: "web"}, true); err != nil {
		t.Fatalf("a role may share a policy's name: %v", err)
	}
	if _, err := s.PutACLRole(ctx, &acl.Role{ID: "r2", Name: "web"}, true); !errors.Is(err, store.ErrACLNameInUse) {
		t.Fatalf("same role name: %v", err)
	}
}

func TestACLBootstrapOnce(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	rev, err := s.BootstrapACL(ctx, token("b1", "sb1"), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.BootstrapACL(ctx, token("b2", "sb2"), 0)
	var done *store.BootstrapDoneError
	if !errors.As(err, &done) || done.ResetIndex != rev {
		t.Fatalf("second bootstrap: %v, want reset index %d", err, rev)
	}
	if _, err := s.BootstrapACL(ctx, token("b2", "sb2"), rev+1); !errors.As(err, &done) {
		t.Fatalf("wrong reset index: %v", err)
	}
	rev2, err := s.BootstrapACL(ctx, token("b2", "sb2"), rev)
	if err != nil {
		t.Fatalf("bootstrap with the reset index: %v", err)
	}
	if _, err := s.BootstrapACL(ctx, token("b3", "sb3"), rev); !errors.As(err, &done) || done.ResetIndex != rev2 {
		t.Fatalf("reset index used twice: %v", err)
	}
}

func TestInitACL(t *testing.T) {
	s := orbittest.NewStore(t)
	ctx := context.Background()
	anon := &acl.Token{AccessorID: acl.AnonymousTokenID, SecretID: acl.AnonymousSecret}
	mgmt := token("m1", "root")
	for i := 0; i < 2; i++ { // idempotent
		if _, err := s.InitACL(ctx, acl.Builtins(), anon, mgmt); err != nil {
			t.Fatalf("init %d: %v", i, err)
		}
	}
	if a, err := s.ACLAccessorOf(ctx, "root"); err != nil || a != "m1" {
		t.Fatalf("management token: %q %v", a, err)
	}
	if _, err := s.BootstrapACL(ctx, token("b", "sb"), 0); err == nil {
		t.Fatal("bootstrap allowed after initial_management")
	}
	// Another management secret later is created beside it.
	if _, err := s.InitACL(ctx, acl.Builtins(), anon, token("m2", "root2")); err != nil {
		t.Fatal(err)
	}
	if a, err := s.ACLAccessorOf(ctx, "root2"); err != nil || a != "m2" {
		t.Fatalf("second management token: %q %v", a, err)
	}
}

// TestSnapshotKeepsACLSecrets: a snapshot carries token secrets, so the
// tokens it restores work, and the target's own tokens go with the rest
// of its state.
func TestSnapshotKeepsACLSecrets(t *testing.T) {
	src, dst := orbittest.NewStore(t), orbittest.NewStore(t)
	ctx := context.Background()
	if _, err := src.CreateACLToken(ctx, token("a-src", "s-src")); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.CreateACLToken(ctx, token("a-dst", "s-dst")); err != nil {
		t.Fatal(err)
	}
	d, err := src.Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Restore(ctx, d); err != nil {
		t.Fatal(err)
	}
	if a, err := dst.ACLAccessorOf(ctx, "s-src"); err != nil || a != "a-src" {
		t.Fatalf("restored secret: %q %v", a, err)
	}
	if _, err := dst.ACLAccessorOf(ctx, "s-dst"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the target's own secret after restore: %v", err)
	}
	bad := store.Dump{KVs: []store.KV{{Key: "/elsewhere/x", Value: []byte("1")}}}
	if _, err := dst.Restore(ctx, bad); !errors.Is(err, store.ErrSnapshotInvalid) {
		t.Fatalf("restore outside the key space: %v", err)
	}
}
