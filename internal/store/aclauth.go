package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/acl"
)

// ACL key families of the login objects, under FamilyACL.
const (
	ACLAuthMethods  = "auth-methods"  // auth-methods/<name>
	ACLBindingRules = "binding-rules" // binding-rules/<id>
)

// ErrACLNoAuthMethod is a binding rule naming an auth method that does
// not exist.
var ErrACLNoAuthMethod = fmt.Errorf("%w: auth method not found", ErrNotFound)

// PutACLAuthMethod creates (create set; ErrConflict when the name is
// taken) or updates (ErrNotFound when absent) an auth method.
func (s *Store) PutACLAuthMethod(ctx context.Context, m *acl.AuthMethod, create bool) (int64, error) {
	c := *m
	c.CreateIndex, c.ModifyIndex = 0, 0
	key := ACLKey(ACLAuthMethods, m.Name)
	rev, err := s.putOne(ctx, key, mustJSON(&c), create)
	if err != nil {
		return 0, fmt.Errorf("write auth method %q: %w", m.Name, err)
	}
	return rev, nil
}

// putOne writes key: only if absent when create, only if present
// (unchanged since read) otherwise.
func (s *Store) putOne(ctx context.Context, key string, value []byte, create bool) (int64, error) {
	var prev int64
	if !create {
		kv, err := s.Get(ctx, key)
		if err != nil {
			return 0, err
		}
		prev = kv.ModRevision
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: key, ModRevision: prev}}, []Op{Put(key, value)})
	if err != nil {
		return 0, err
	}
	if !ok && create {
		return 0, ErrConflict
	}
	if !ok {
		return 0, fmt.Errorf("changed meanwhile: %w", ErrConflict)
	}
	return rev, nil
}

// DeleteACLAuthMethod deletes an auth method together with its binding
// rules (ruleIDs) and the tokens logins through it made (accessors), in
// one transaction, as Consul does; deleted is false when there was none.
func (s *Store) DeleteACLAuthMethod(ctx context.Context, name string, ruleIDs, accessors []string) (bool, int64, error) {
	key := ACLKey(ACLAuthMethods, name)
	kv, err := s.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	ops := []Op{Del(key)}
	for _, id := range ruleIDs {
		ops = append(ops, Del(ACLKey(ACLBindingRules, id)))
	}
	for _, a := range accessors {
		ops = append(ops, Del(ACLKey(ACLTokens, a)), Del(ACLTokenSecretKey(a)))
		secret, err := s.ACLTokenSecret(ctx, a)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return false, 0, err
		default:
			ops = append(ops, Del(ACLSecretKey(secret)))
		}
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: key, ModRevision: kv.ModRevision}}, ops)
	if err != nil {
		return false, 0, fmt.Errorf("delete auth method %q: %w", name, err)
	}
	if !ok {
		return false, 0, fmt.Errorf("delete auth method %q: changed meanwhile: %w", name, ErrConflict)
	}
	return true, rev, nil
}

// PutACLBindingRule creates (create set) or updates a binding rule; its
// auth method must exist when the write commits (ErrACLNoAuthMethod).
func (s *Store) PutACLBindingRule(ctx context.Context, r *acl.BindingRule, create bool) (int64, error) {
	c := *r
	c.CreateIndex, c.ModifyIndex = 0, 0
	method, err := s.Get(ctx, ACLKey(ACLAuthMethods, r.AuthMethod))
	if errors.Is(err, ErrNotFound) {
		return 0, ErrACLNoAuthMethod
	}
	if err != nil {
		return 0, err
	}
	key := ACLKey(ACLBindingRules, r.ID)
	var prev int64
	if !create {
		kv, err := s.Get(ctx, key)
		if err != nil {
			return 0, fmt.Errorf("binding rule %s: %w", r.ID, err)
		}
		prev = kv.ModRevision
	}
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: key, ModRevision: prev}, {Key: method.Key, ModRevision: method.ModRevision}},
		[]Op{Put(key, mustJSON(&c))})
	if err != nil {
		return 0, fmt.Errorf("write binding rule %s: %w", r.ID, err)
	}
	if !ok {
		return 0, fmt.Errorf("write binding rule %s: changed meanwhile: %w", r.ID, ErrConflict)
	}
	return rev, nil
}

// DeleteACLBindingRule deletes a binding rule; deleted is false when
// there was none.
func (s *Store) DeleteACLBindingRule(ctx context.Context, id string) (bool, int64, error) {
	key := ACLKey(ACLBindingRules, id)
	if _, err := s.Get(ctx, key); errors.Is(err, ErrNotFound) {
		return false, 0, nil
	} else if err != nil {
		return false, 0, err
	}
	_, rev, err := s.Txn(ctx, nil, []Op{Del(key)})
	if err != nil {
		return false, 0, fmt.Errorf("delete binding rule %s: %w", id, err)
	}
	return true, rev, nil
}
