package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// Storage keeps the keyring's records (opaque bytes, one per key, named by
// the key's generation). The store package implements it in etcd; every
// server shares the same records.
type Storage interface {
	// LoadSigningKeys returns every stored record by name.
	LoadSigningKeys(ctx context.Context) (map[string][]byte, error)
	// CreateSigningKey stores rec under name unless name exists (a
	// compare-and-swap); created is false when another server was first.
	CreateSigningKey(ctx context.Context, name string, rec []byte) (created bool, err error)
	// DeleteSigningKey removes name; an absent name is not an error.
	DeleteSigningKey(ctx context.Context, name string) error
}

// Config configures a Signer. The zero value takes the defaults documented
// on each field.
type Config struct {
	Policy
	// Issuer is the iss claim of every token and the issuer of the
	// discovery document (a URL, no trailing slash). Empty leaves iss out
	// and answers discovery with the URL the request came to.
	Issuer string
	// CheckInterval is how often the keyring is re-read and rotated
	// (default 1m).
	CheckInterval time.Duration
	// KeyBits is the RSA key size (default 2048).
	KeyBits int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if err := c.Policy.Validate(); err != nil {
		return err
	}
	if c.CheckInterval < 0 {
		return errors.New("identity: check interval must not be negative")
	}
	if c.KeyBits != 0 && c.KeyBits < 2048 {
		return fmt.Errorf("identity: RSA keys of %d bits are too small (at least 2048)", c.KeyBits)
	}
	return nil
}

// Deps are a Signer's collaborators; Logger and Clock may be nil.
type Deps struct {
	Storage Storage
	Logger  *slog.Logger
	Clock   clockwork.Clock
}

// Signer holds the shared keyring, rotates it and signs tokens.
type Signer struct {
	cfg   Config
	st    Storage
	log   *slog.Logger
	clock clockwork.Clock

	syncMu sync.Mutex           // serialises sync
	ring   atomic.Pointer[ring] // replaced whole by sync
}

// ring is an immutable snapshot of the keyring.
type ring struct {
	keys      map[string]*signingKey // every stored key by id
	infos     []KeyInfo
	published JWKS
	pubs      map[string]*rsa.PublicKey // the published keys by id
	// index counts this Signer's changes of the published set (from 1);
	// changed is closed when a ring with another published set replaces
	// this one (blocking JWKS queries wait on it).
	index   uint64
	changed chan struct{}
}

type signingKey struct {
	gen  int
	info KeyInfo
	priv *rsa.PrivateKey
}

// record is a key as stored.
type record struct {
	Gen       int       `json:"gen"`
	ID        string    `json:"kid"`
	CreatedAt time.Time `json:"created_at"`
	ActiveAt  time.Time `json:"active_at"`
	// Key is the PKCS#8 DER private key (unencrypted; see the package doc).
	Key []byte `json:"key"`
}

// New loads the keyring, creating the first key when there is none, so
// the Signer signs as soon as it is returned.
func New(ctx context.Context, cfg Config, deps Deps) (*Signer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Storage == nil {
		return nil, errors.New("identity: storage is required")
	}
	cfg.Policy = cfg.Policy.withDefaults()
	if cfg.CheckInterval == 0 {
		cfg.CheckInterval = time.Minute
	}
	if cfg.KeyBits == 0 {
		cfg.KeyBits = 2048
	}
	s := &Signer{cfg: cfg, st: deps.Storage, log: deps.Logger, clock: deps.Clock}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.clock == nil {
		s.clock = clockwork.NewRealClock()
	}
	if err := s.Sync(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Run re-reads and rotates the keyring every CheckInterval until ctx ends.
func (s *Signer) Run(ctx context.Context) error {
	t := s.clock.NewTicker(s.cfg.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.Chan():
			if err := s.Sync(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("identity keyring sync failed", "err", err)
			}
		}
	}
}

// Sync reads the keyring, creates the next key when it is due, drops keys
// no longer needed and publishes the result.
func (s *Signer) Sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	r, err := s.load(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	d := Decide(now, r.infos, s.cfg.Policy)
	if d.Generate {
		if err := s.generate(ctx, r, d.NewActiveAt); err != nil {
			return err
		}
		if r, err = s.load(ctx); err != nil {
			return err
		}
		d = Decide(now, r.infos, s.cfg.Policy)
	}
	for _, id := range d.Drop {
		if err := s.st.DeleteSigningKey(ctx, genName(r.keys[id].gen)); err != nil {
			s.log.Warn("drop retired identity key", "kid", id, "err", err)
			continue
		}
		s.log.Info("dropped retired identity key", "kid", id)
	}
	for _, id := range d.Published {
		k := r.keys[id]
		r.published.Keys = append(r.published.Keys, PublicJWK(id, &k.priv.PublicKey))
		r.pubs[id] = &k.priv.PublicKey
	}
	old := s.ring.Load()
	switch {
	case old == nil:
		r.index, r.changed = 1, make(chan struct{})
	case slices.Equal(kids(old.published), kids(r.published)):
		r.index, r.changed = old.index, old.changed
	default:
		r.index, r.changed = old.index+1, make(chan struct{})
	}
	s.ring.Store(r)
	if old != nil && old.changed != r.changed {
		close(old.changed)
	}
	return nil
}

// kids are the key ids of set, in order.
func kids(set JWKS) []string {
	ids := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		ids[i] = k.KeyID
	}
	return ids
}

// JWKSIndex is the published set with its index (see WaitJWKS).
func (s *Signer) JWKSIndex() (JWKS, uint64) {
	r := s.ring.Load()
	return r.published, r.index
}

// WaitJWKS waits until the published set's index passes index or ctx ends
// (an httpkit.Waiter).
func (s *Signer) WaitJWKS(ctx context.Context, index uint64) {
	for {
		r := s.ring.Load()
		if r.index > index {
			return
		}
		select {
		case <-r.changed:
		case <-ctx.Done():
			return
		}
	}
}

// load reads and decodes every stored key.
func (s *Signer) load(ctx context.Context) (*ring, error) {
	recs, err := s.st.LoadSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load identity keys: %w", err)
	}
	r := &ring{keys: map[string]*signingKey{}, pubs: map[string]*rsa.PublicKey{}, published: JWKS{Keys: []JWK{}}}
	for name, raw := range recs {
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("identity key %s: %w", name, err)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(rec.Key)
		if err != nil {
			return nil, fmt.Errorf("identity key %s: %w", name, err)
		}
		priv, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("identity key %s: not an RSA key", name)
		}
		k := &signingKey{gen: rec.Gen, info: KeyInfo{ID: rec.ID, ActiveAt: rec.ActiveAt}, priv: priv}
		r.keys[rec.ID] = k
		r.infos = append(r.infos, k.info)
	}
	return r, nil
}

// generate creates the next generation's key active from activeAt; losing
// the race to another server is not an error (its key is used).
func (s *Signer) generate(ctx context.Context, r *ring, activeAt time.Time) error {
	gen := 0
	for _, k := range r.keys {
		gen = max(gen, k.gen)
	}
	gen++
	priv, err := rsa.GenerateKey(rand.Reader, s.cfg.KeyBits)
	if err != nil {
		return fmt.Errorf("generate identity key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("encode identity key: %w", err)
	}
	rec := record{Gen: gen, ID: Thumbprint(&priv.PublicKey), CreatedAt: s.clock.Now().UTC(), ActiveAt: activeAt.UTC(), Key: der}
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode identity key: %w", err)
	}
	created, err := s.st.CreateSigningKey(ctx, genName(gen), raw)
	if err != nil {
		return fmt.Errorf("store identity key: %w", err)
	}
	if created {
		s.log.Info("created identity signing key", "kid", rec.ID, "generation", gen, "active_at", rec.ActiveAt)
	}
	return nil
}

// genName is the storage name of a generation: zero-padded, so names sort.
func genName(gen int) string { return fmt.Sprintf("%08d", gen) }

// ErrNoKey is returned by Sign when no key signs yet (never after New).
var ErrNoKey = errors.New("identity: no signing key")

// Sign signs c with the key that signs now, setting iat and nbf to now,
// exp to now+ttl, jti to a fresh id and iss to the configured issuer when
// c has none. ttl must be positive and at most MaxTokenTTL, so that a
// retired key outlives every token it signed.
func (s *Signer) Sign(c Claims, ttl time.Duration) (string, error) {
	if ttl <= 0 || ttl > s.cfg.MaxTokenTTL {
		return "", fmt.Errorf("identity: token ttl %s must be positive and at most %s", ttl, s.cfg.MaxTokenTTL)
	}
	r := s.ring.Load()
	now := s.clock.Now()
	k := r.keys[Decide(now, r.infos, s.cfg.Policy).Signer]
	if k == nil {
		return "", ErrNoKey
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("token id: %w", err)
	}
	c.IssuedAt, c.NotBefore, c.Expiry = now.Unix(), now.Unix(), now.Add(ttl).Unix()
	c.ID = hex.EncodeToString(id[:])
	if c.Issuer == "" {
		c.Issuer = s.cfg.Issuer
	}
	return encode(k.info.ID, k.priv, c)
}

// MaxTokenTTL is the longest ttl Sign accepts.
func (s *Signer) MaxTokenTTL() time.Duration { return s.cfg.MaxTokenTTL }

// JWKS is the published key set (next, current and retired keys).
func (s *Signer) JWKS() JWKS { return s.ring.Load().published }

// Verify checks token against the published keys at the signer's now.
func (s *Signer) Verify(token string) (Claims, error) {
	return Verify(token, s.ring.Load().pubs, s.clock.Now())
}

// KeyIDs are the ids of every stored key, oldest first (for tests and
// tools).
func (s *Signer) KeyIDs() []string {
	infos := append([]KeyInfo(nil), s.ring.Load().infos...)
	sort.Slice(infos, func(i, j int) bool { return infos[i].ActiveAt.Before(infos[j].ActiveAt) })
	ids := make([]string, len(infos))
	for i, k := range infos {
		ids[i] = k.ID
	}
	return ids
}
