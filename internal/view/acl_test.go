package view_test

import (
	"context"
	"testing"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/view"
)

func TestViewACLTables(t *testing.T) {
	s := orbittest.NewStore(t)
	v := orbittest.NewView(t, s)
	ctx := context.Background()
	idx := v.ACLIndex()
	if _, err := s.PutACLPolicy(ctx, &acl.Policy{ID: "p1", Name: "web", Rules: `service "web" { policy = "write" }`}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutACLRole(ctx, &acl.Role{ID: "r1", Name: "ops", Policies: []acl.Link{{ID: "p1", Name: "web"}}}, true); err != nil {
		t.Fatal(err)
	}
	rev, err := s.CreateACLToken(ctx, &acl.Token{AccessorID: "a1", SecretID: "s1", Description: "d", Roles: []acl.Link{{ID: "r1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if v.ACLIndex() <= idx {
		t.Fatalf("ACL index %d did not move past %d", v.ACLIndex(), idx)
	}
	tok, ok := v.ACLToken("a1")
	if !ok || tok.SecretID != "" || tok.Description != "d" || tok.CreateIndex != uint64(rev) || tok.ModifyIndex != uint64(rev) {
		t.Fatalf("token in the view: %+v %v", tok, ok)
	}
	if p, ok := v.ACLPolicyByName("web"); !ok || p.ID != "p1" || p.CreateIndex == 0 {
		t.Fatalf("policy by name: %+v %v", p, ok)
	}
	if r, ok := v.ACLRoleByName("ops"); !ok || r.ID != "r1" || len(r.Policies) != 1 {
		t.Fatalf("role by name: %+v %v", r, ok)
	}
	if n := len(v.ACLTokens()); n != 1 {
		t.Fatalf("%d tokens", n)
	}
	_, rev, err = s.DeleteACLToken(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		t.Fatal(err)
	}
	if _, ok := v.ACLToken("a1"); ok {
		t.Fatal("deleted token still in the view")
	}
	if v.Index(view.ACLRes) < uint64(rev) {
		t.Fatalf("ACL index %d below the delete's revision %d", v.Index(view.ACLRes), rev)
	}
}
