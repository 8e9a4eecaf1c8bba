package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// FamilyJoinTokens holds the join tokens that let a new server join the
// store's cluster without an ACL token with operator:write:
// jointokens/<ID> → JoinToken. Only a hash of each secret is stored.
const FamilyJoinTokens = "jointokens"

// JoinTokenKey is the key of the join token id.
func JoinTokenKey(id string) string { return FamilyKey(FamilyJoinTokens, id) }

// JoinToken is a stored join token. The secret itself is shown once, when
// the token is created, and never stored.
type JoinToken struct {
	ID          string
	Description string    `json:",omitempty"`
	SecretHash  string    `json:"-"` // hex sha256 of the secret
	CreateTime  time.Time // when it was created
	// ExpirationTime is when the token stops being accepted; zero never.
	ExpirationTime time.Time `json:",omitempty"`
}

// storedJoinToken is JoinToken as stored (with its hash).
type storedJoinToken struct {
	ID             string
	Description    string `json:",omitempty"`
	SecretHash     string
	CreateTime     time.Time
	ExpirationTime time.Time `json:",omitzero"`
}

// ErrJoinTokenInvalid is returned by CheckJoinToken for a secret that is
// unknown, revoked or expired.
var ErrJoinTokenInvalid = errors.New("join token unknown, revoked or expired")

// Expired reports whether the token is no longer accepted at now.
func (t JoinToken) Expired(now time.Time) bool {
	return !t.ExpirationTime.IsZero() && !now.Before(t.ExpirationTime)
}

func hashJoinSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// CreateJoinToken stores a new join token valid until now+ttl (ttl 0:
// until revoked) and returns it with its secret.
func (s *Store) CreateJoinToken(ctx context.Context, description string, now time.Time, ttl time.Duration) (JoinToken, string, error) {
	if ttl < 0 {
		return JoinToken{}, "", fmt.Errorf("create join token: negative TTL %v", ttl)
	}
	id, err := randomHex(8)
	if err != nil {
		return JoinToken{}, "", fmt.Errorf("create join token: %w", err)
	}
	secret, err := randomHex(32)
	if err != nil {
		return JoinToken{}, "", fmt.Errorf("create join token: %w", err)
	}
	t := JoinToken{ID: id, Description: description, SecretHash: hashJoinSecret(secret), CreateTime: now.UTC()}
	if ttl > 0 {
		t.ExpirationTime = now.Add(ttl).UTC()
	}
	b, err := json.Marshal(storedJoinToken(t))
	if err != nil {
		return JoinToken{}, "", fmt.Errorf("create join token: %w", err)
	}
	ok, _, err := s.Txn(ctx, []Cmp{{Key: JoinTokenKey(id)}}, []Op{Put(JoinTokenKey(id), b)})
	if err != nil {
		return JoinToken{}, "", fmt.Errorf("create join token: %w", err)
	}
	if !ok {
		return JoinToken{}, "", fmt.Errorf("create join token: id %s taken", id)
	}
	return t, secret, nil
}

// decodeJoinToken is the one decoder of a stored join token.
func decodeJoinToken(b []byte) (JoinToken, error) {
	var st storedJoinToken
	if err := json.Unmarshal(b, &st); err != nil {
		return JoinToken{}, fmt.Errorf("decode join token: %w", err)
	}
	return JoinToken(st), nil
}

// JoinTokens lists the join tokens by creation time.
func (s *Store) JoinTokens(ctx context.Context) ([]JoinToken, error) {
	kvs, _, err := s.List(ctx, FamilyKey(FamilyJoinTokens, ""))
	if err != nil {
		return nil, fmt.Errorf("list join tokens: %w", err)
	}
	out := make([]JoinToken, 0, len(kvs))
	for _, kv := range kvs {
		t, err := decodeJoinToken(kv.Value)
		if err != nil {
			s.log.Warn("skipping unreadable join token", "key", kv.Key, "err", err)
			continue
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreateTime.Before(out[j].CreateTime) })
	return out, nil
}

// RevokeJoinToken deletes the join token id (ErrNotFound if there is none).
func (s *Store) RevokeJoinToken(ctx context.Context, id string) error {
	if id == "" || strings.Contains(id, "/") {
		return fmt.Errorf("revoke join token %q: %w", id, ErrNotFound)
	}
	kv, err := s.Get(ctx, JoinTokenKey(id))
	if err != nil {
		return fmt.Errorf("revoke join token %q: %w", id, err)
	}
	ok, _, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{Del(kv.Key)})
	if err != nil {
		return fmt.Errorf("revoke join token %q: %w", id, err)
	}
	if !ok {
		return fmt.Errorf("revoke join token %q: %w", id, ErrNotFound)
	}
	return nil
}

// CheckJoinToken returns the join token whose secret is secret and that
// is still valid at now, or ErrJoinTokenInvalid.
func (s *Store) CheckJoinToken(ctx context.Context, secret string, now time.Time) (JoinToken, error) {
	if secret == "" {
		return JoinToken{}, ErrJoinTokenInvalid
	}
	ts, err := s.JoinTokens(ctx)
	if err != nil {
		return JoinToken{}, err
	}
	want := hashJoinSecret(secret)
	for _, t := range ts {
		if subtle.ConstantTimeCompare([]byte(t.SecretHash), []byte(want)) == 1 && !t.Expired(now) {
			return t, nil
		}
	}
	return JoinToken{}, ErrJoinTokenInvalid
}
