package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/acl"
)

// FamilyACL holds the ACL objects every agent may see: tokens without
// their secrets (tokens/<accessor>), policies (policies/<id>), roles
// (roles/<id>), the name indexes that keep names unique
// (policy-names/<name>, role-names/<name> → id) and the bootstrap marker.
const FamilyACL = "acl"

// SecretPrefix is the root of the keys only servers may read: token
// secrets live here, outside Prefix, so views (which load Prefix) never
// hold them.
const SecretPrefix = "/orbit-secrets/"

// ACL key families under FamilyACL.
const (
	ACLTokens      = "tokens"
	ACLPolicies    = "policies"
	ACLRoles       = "roles"
	ACLPolicyNames = "policy-names"
	ACLRoleNames   = "role-names"
	ACLBootstrap   = "bootstrap"
)

// ACLKey is the key of an ACL object: kind is one of the ACL families.
func ACLKey(kind, id string) string { return FamilyKey(FamilyACL, kind+"/"+id) }

// ACLBootstrapKey marks that the ACL system was bootstrapped; its mod
// revision is Consul's bootstrap reset index.
func ACLBootstrapKey() string { return FamilyKey(FamilyACL, ACLBootstrap) }

// ACLSecretKey maps a token secret to its accessor (server-only).
func ACLSecretKey(secret string) string { return SecretPrefix + "acl/secrets/" + secret }

// ACLTokenSecretKey maps a token accessor to its secret (server-only).
func ACLTokenSecretKey(accessor string) string { return SecretPrefix + "acl/token-secrets/" + accessor }

// Errors of the ACL writes (wrapping ErrConflict or ErrNotFound).
var (
	ErrACLAccessorInUse = fmt.Errorf("%w: Invalid Token: AccessorID already in use", ErrConflict)
	ErrACLSecretInUse   = fmt.Errorf("%w: Invalid Token: SecretID already in use", ErrConflict)
	ErrACLNameInUse     = fmt.Errorf("%w: name already in use", ErrConflict)
)

// BootstrapDoneError refuses a second bootstrap, naming the reset index an
// operator writes to the data directory's acl-bootstrap-reset file to allow
// one more, as Consul.
type BootstrapDoneError struct{ ResetIndex int64 }

func (e *BootstrapDoneError) Error() string {
	return fmt.Sprintf("ACL bootstrap no longer allowed (reset index: %d)", e.ResetIndex)
}

// tokenRecord is a token as stored under FamilyACL: without its secret.
func tokenRecord(t *acl.Token) []byte {
	c := *t
	c.SecretID = ""
	c.CreateIndex, c.ModifyIndex = 0, 0
	return mustJSON(&c)
}

// createTokenTxn is the condition and writes of a new token: accessor and
// secret both unused.
func createTokenTxn(t *acl.Token) ([]Cmp, []Op) {
	return []Cmp{{Key: ACLKey(ACLTokens, t.AccessorID)}, {Key: ACLSecretKey(t.SecretID)}, {Key: ACLTokenSecretKey(t.AccessorID)}},
		[]Op{Put(ACLKey(ACLTokens, t.AccessorID), tokenRecord(t)),
			Put(ACLSecretKey(t.SecretID), []byte(t.AccessorID)),
			Put(ACLTokenSecretKey(t.AccessorID), []byte(t.SecretID))}
}

// CreateACLToken stores a new token (AccessorID and SecretID set by the
// caller) and returns the store revision; a used accessor or secret is
// ErrACLAccessorInUse or ErrACLSecretInUse.
func (s *Store) CreateACLToken(ctx context.Context, t *acl.Token) (int64, error) {
	cmps, ops := createTokenTxn(t)
	ok, rev, err := s.Txn(ctx, cmps, ops)
	if err != nil {
		return 0, fmt.Errorf("create token %s: %w", t.AccessorID, err)
	}
	if !ok {
		return 0, s.tokenConflict(ctx, t)
	}
	return rev, nil
}

// tokenConflict names which of a new token's identifiers is taken.
func (s *Store) tokenConflict(ctx context.Context, t *acl.Token) error {
	if _, err := s.Get(ctx, ACLSecretKey(t.SecretID)); err == nil {
		return ErrACLSecretInUse
	}
	return ErrACLAccessorInUse
}

// UpdateACLToken rewrites a token's record if it is still at revision
// prev (its ModifyIndex as read); its secret never changes.
func (s *Store) UpdateACLToken(ctx context.Context, t *acl.Token, prev int64) (int64, error) {
	ok, rev, err := s.Txn(ctx, []Cmp{{Key: ACLKey(ACLTokens, t.AccessorID), ModRevision: prev}},
		[]Op{Put(ACLKey(ACLTokens, t.AccessorID), tokenRecord(t))})
	if err != nil {
		return 0, fmt.Errorf("update token %s: %w", t.AccessorID, err)
	}
	if !ok {
		return 0, fmt.Errorf("update token %s: changed meanwhile: %w", t.AccessorID, ErrConflict)
	}
	return rev, nil
}

// DeleteACLToken deletes a token and its secret; deleted is false when
// there was none.
func (s *Store) DeleteACLToken(ctx context.Context, accessor string) (bool, int64, error) {
	for attempt := 0; attempt < 5; attempt++ {
		kv, err := s.Get(ctx, ACLKey(ACLTokens, accessor))
		if errors.Is(err, ErrNotFound) {
			return false, 0, nil
		}
		if err != nil {
			return false, 0, err
		}
		secret, err := s.ACLTokenSecret(ctx, accessor)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, 0, err
		}
		ops := []Op{Del(ACLKey(ACLTokens, accessor)), Del(ACLTokenSecretKey(accessor))}
		if secret != "" {
			ops = append(ops, Del(ACLSecretKey(secret)))
		}
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: ACLKey(ACLTokens, accessor), ModRevision: kv.ModRevision}}, ops)
		if err != nil {
			return false, 0, fmt.Errorf("delete token %s: %w", accessor, err)
		}
		if ok {
			return true, rev, nil
		}
	}
	return false, 0, fmt.Errorf("delete token %s: %w", accessor, ErrConflict)
}

// ACLTokenSecret reads a token's secret by its accessor, or ErrNotFound.
func (s *Store) ACLTokenSecret(ctx context.Context, accessor string) (string, error) {
	kv, err := s.Get(ctx, ACLTokenSecretKey(accessor))
	if err != nil {
		return "", err
	}
	return string(kv.Value), nil
}

// ACLAccessorOf reads the accessor of a token secret, or ErrNotFound.
func (s *Store) ACLAccessorOf(ctx context.Context, secret string) (string, error) {
	kv, err := s.Get(ctx, ACLSecretKey(secret))
	if err != nil {
		return "", err
	}
	return string(kv.Value), nil
}

// namedRecord is the part of a policy or role the name index needs.
type namedRecord struct{ Name string }

// putNamed writes a policy or role (kind ACLPolicies or ACLRoles) keeping
// its name unique through the name index: one transaction that requires
// the object unchanged since it was read and the new name unused.
func (s *Store) putNamed(ctx context.Context, kind, names, id, name string, value []byte, create bool) (int64, error) {
	key := ACLKey(kind, id)
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := s.Get(ctx, key)
		var old namedRecord
		switch {
		case errors.Is(err, ErrNotFound):
			if !create {
				return 0, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
			}
		case err != nil:
			return 0, err
		case create:
			return 0, fmt.Errorf("%s %s exists: %w", kind, id, ErrConflict)
		default:
			if err := json.Unmarshal(cur.Value, &old); err != nil {
				return 0, fmt.Errorf("decode %s %s: %w", kind, id, err)
			}
		}
		cmps := []Cmp{{Key: key, ModRevision: cur.ModRevision}}
		ops := []Op{Put(key, value)}
		if old.Name != name {
			cmps = append(cmps, Cmp{Key: ACLKey(names, name)})
			ops = append(ops, Put(ACLKey(names, name), []byte(id)))
			if old.Name != "" {
				ops = append(ops, Del(ACLKey(names, old.Name)))
			}
		}
		ok, rev, err := s.Txn(ctx, cmps, ops)
		if err != nil {
			return 0, fmt.Errorf("write %s %s: %w", kind, id, err)
		}
		if ok {
			return rev, nil
		}
		if kv, err := s.Get(ctx, ACLKey(names, name)); err == nil && string(kv.Value) != id {
			return 0, fmt.Errorf("%w: %q", ErrACLNameInUse, name)
		}
	}
	return 0, fmt.Errorf("write %s %s: %w", kind, id, ErrConflict)
}

// deleteNamed deletes a policy or role and its name index entry.
func (s *Store) deleteNamed(ctx context.Context, kind, names, id string) (bool, int64, error) {
	key := ACLKey(kind, id)
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := s.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return false, 0, nil
		}
		if err != nil {
			return false, 0, err
		}
		var old namedRecord
		if err := json.Unmarshal(cur.Value, &old); err != nil {
			return false, 0, fmt.Errorf("decode %s %s: %w", kind, id, err)
		}
		ok, rev, err := s.Txn(ctx, []Cmp{{Key: key, ModRevision: cur.ModRevision}},
			[]Op{Del(key), Del(ACLKey(names, old.Name))})
		if err != nil {
			return false, 0, fmt.Errorf("delete %s %s: %w", kind, id, err)
		}
		if ok {
			return true, rev, nil
		}
	}
	return false, 0, fmt.Errorf("delete %s %s: %w", kind, id, ErrConflict)
}

// PutACLPolicy creates (create set) or updates a policy; its name must be
// unused by any other policy (ErrACLNameInUse).
func (s *Store) PutACLPolicy(ctx context.Context, p *acl.Policy, create bool) (int64, error) {
	c := *p
	c.CreateIndex, c.ModifyIndex = 0, 0
	return s.putNamed(ctx, ACLPolicies, ACLPolicyNames, p.ID, p.Name, mustJSON(&c), create)
}

// DeleteACLPolicy deletes a policy; deleted is false when there was none.
func (s *Store) DeleteACLPolicy(ctx context.Context, id string) (bool, int64, error) {
	return s.deleteNamed(ctx, ACLPolicies, ACLPolicyNames, id)
}

// PutACLRole creates (create set) or updates a role; its name must be
// unused by any other role (ErrACLNameInUse).
func (s *Store) PutACLRole(ctx context.Context, r *acl.Role, create bool) (int64, error) {
	c := *r
	c.CreateIndex, c.ModifyIndex = 0, 0
	return s.putNamed(ctx, ACLRoles, ACLRoleNames, r.ID, r.Name, mustJSON(&c), create)
}

// DeleteACLRole deletes a role; deleted is false when there was none.
func (s *Store) DeleteACLRole(ctx context.Context, id string) (bool, int64, error) {
	return s.deleteNamed(ctx, ACLRoles, ACLRoleNames, id)
}

// BootstrapACL creates the first management token t, once for the
// cluster: when the system was bootstrapped already it answers a
// *BootstrapDoneError unless resetIndex names the bootstrap's reset index
// (Consul's acl-bootstrap-reset), which allows exactly one more.
func (s *Store) BootstrapACL(ctx context.Context, t *acl.Token, resetIndex int64) (int64, error) {
	var seen int64
	kv, err := s.Get(ctx, ACLBootstrapKey())
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return 0, fmt.Errorf("read bootstrap: %w", err)
	case resetIndex != kv.ModRevision:
		return 0, &BootstrapDoneError{ResetIndex: kv.ModRevision}
	default:
		seen = kv.ModRevision
	}
	cmps, ops := createTokenTxn(t)
	cmps = append(cmps, Cmp{Key: ACLBootstrapKey(), ModRevision: seen})
	ops = append(ops, Put(ACLBootstrapKey(), []byte(t.AccessorID)))
	ok, rev, err := s.Txn(ctx, cmps, ops)
	if err != nil {
		return 0, fmt.Errorf("bootstrap: %w", err)
	}
	if ok {
		return rev, nil
	}
	if kv, err := s.Get(ctx, ACLBootstrapKey()); err == nil && kv.ModRevision != seen {
		return 0, &BootstrapDoneError{ResetIndex: kv.ModRevision}
	}
	return 0, s.tokenConflict(ctx, t)
}

// InitACL stores the built-in policies and the anonymous token unless they
// exist (each created only if absent, so concurrent servers agree), and,
// when management is set, that management token unless its secret is
// known: the first one also counts as the bootstrap, as Consul's
// initial_management token does. It returns the store revision after.
func (s *Store) InitACL(ctx context.Context, builtins []acl.Policy, anonymous, management *acl.Token) (int64, error) {
	var rev int64
	for _, p := range builtins {
		r, err := s.PutACLPolicy(ctx, &p, true)
		switch {
		case errors.Is(err, ErrConflict):
		case err != nil:
			return 0, fmt.Errorf("create built-in policy %s: %w", p.Name, err)
		default:
			rev = max(rev, r)
		}
	}
	r, err := s.CreateACLToken(ctx, anonymous)
	switch {
	case errors.Is(err, ErrConflict):
	case err != nil:
		return 0, fmt.Errorf("create anonymous token: %w", err)
	default:
		rev = max(rev, r)
	}
	if management == nil {
		return rev, nil
	}
	if _, err := s.ACLAccessorOf(ctx, management.SecretID); err == nil {
		return rev, nil
	}
	r, err = s.BootstrapACL(ctx, management, 0)
	var done *BootstrapDoneError
	if errors.As(err, &done) {
		r, err = s.CreateACLToken(ctx, management)
	}
	if err != nil && !errors.Is(err, ErrACLSecretInUse) {
		return 0, fmt.Errorf("create initial management token: %w", err)
	}
	return max(rev, r), nil
}

// ACLTokenSecrets reads every token's secret by accessor (one listing of
// the server-only prefix, for token lists shown to acl:write holders).
func (s *Store) ACLTokenSecrets(ctx context.Context) (map[string]string, error) {
	prefix := ACLTokenSecretKey("")
	kvs, _, err := s.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list token secrets: %w", err)
	}
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		out[kv.Key[len(prefix):]] = string(kv.Value)
	}
	return out, nil
}
