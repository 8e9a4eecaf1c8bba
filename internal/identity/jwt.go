package identity

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Alg is the one signing algorithm: RSASSA-PKCS1-v1_5 with SHA-256.
const Alg = "RS256"

// DefaultAudience is the default identity's audience, as Nomad's.
const DefaultAudience = "nomadproject.io"

// Sentinel errors of token verification.
var (
	ErrMalformed  = errors.New("identity: malformed token")
	ErrUnknownKey = errors.New("identity: token signed by an unknown key")
	ErrSignature  = errors.New("identity: bad token signature")
	ErrExpired    = errors.New("identity: token expired")
	ErrNotYet     = errors.New("identity: token not valid yet")
)

// Claims are a workload identity's claims, with Nomad's names.
type Claims struct {
	Namespace    string `json:"nomad_namespace"`
	JobID        string `json:"nomad_job_id"`
	AllocationID string `json:"nomad_allocation_id"`
	// Task is set for a task's identity, Service for a service's.
	Task    string `json:"nomad_task,omitempty"`
	Service string `json:"nomad_service,omitempty"`

	Issuer    string   `json:"iss,omitempty"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud,omitempty"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	Expiry    int64    `json:"exp"`
	ID        string   `json:"jti"`
}

// Workload names the workload an identity is for.
type Workload struct {
	Region, Namespace, JobID, Group, AllocationID string
	// Task or Service: exactly one is set.
	Task, Service string
	// Identity is the identity block's name ("default" when empty).
	Identity string
	Audience []string
}

// Claims returns w's claims without the times and id, which Sign sets.
// The subject is "region:namespace:job:group:task-or-service:identity",
// as Nomad's; the default identity without an audience gets Nomad's
// "nomadproject.io".
func (w Workload) Claims() Claims {
	name := w.Task
	if name == "" {
		name = w.Service
	}
	ident := w.Identity
	if ident == "" {
		ident = "default"
	}
	region := w.Region
	if region == "" {
		region = "global"
	}
	ns := w.Namespace
	if ns == "" {
		ns = "default"
	}
	aud := append([]string(nil), w.Audience...)
	if len(aud) == 0 && ident == "default" {
		aud = []string{DefaultAudience}
	}
	return Claims{Namespace: ns, JobID: w.JobID, AllocationID: w.AllocationID, Task: w.Task, Service: w.Service,
		Subject: strings.Join([]string{region, ns, w.JobID, w.Group, name, ident}, ":"), Audience: aud}
}

// header is the JOSE header of every token.
type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

var b64 = base64.RawURLEncoding

// encode signs claims with key as kid: header.payload.signature.
func encode(kid string, key *rsa.PrivateKey, c Claims) (string, error) {
	h, err := json.Marshal(header{Alg: Alg, Kid: kid, Typ: "JWT"})
	if err != nil {
		return "", fmt.Errorf("encode token header: %w", err)
	}
	p, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode token claims: %w", err)
	}
	signing := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// Verify checks token's RS256 signature with the key its header names
// (keys maps key id to public key) and its validity at now (nbf ≤ now <
// exp), and returns its claims.
func Verify(token string, keys map[string]*rsa.PublicKey, now time.Time) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: want 3 dot-separated parts, got %d", ErrMalformed, len(parts))
	}
	var h header
	if err := decodePart(parts[0], &h); err != nil {
		return Claims{}, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if h.Alg != Alg {
		return Claims{}, fmt.Errorf("%w: algorithm %q, want %s", ErrMalformed, h.Alg, Alg)
	}
	pub := keys[h.Kid]
	if pub == nil {
		return Claims{}, fmt.Errorf("%w: kid %q", ErrUnknownKey, h.Kid)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature: %v", ErrMalformed, err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return Claims{}, ErrSignature
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return Claims{}, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	switch t := now.Unix(); {
	case t < c.NotBefore:
		return Claims{}, ErrNotYet
	case t >= c.Expiry:
		return Claims{}, ErrExpired
	}
	return c, nil
}

func decodePart(s string, v any) error {
	raw, err := b64.DecodeString(s)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	return dec.Decode(v)
}
