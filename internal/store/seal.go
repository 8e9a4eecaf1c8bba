package store

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Secrets at rest: the internal CA's key and the workload identity signing
// keys are stored sealed with AES-256-GCM under a key only servers hold
// (a file in each server's data directory, made by the first server and
// handed to the servers that join it). A sealed value is
//
//	sealMagic | key id (8 hex) | ":" | nonce (12 bytes) | ciphertext
//
// with the etcd key as additional data, so a sealed value cannot be moved
// under another key. Values without sealMagic are clear ones written
// before sealing existed; servers seal them when they first read them.

// sealMagic starts every sealed value.
const sealMagic = "orbit-sealed:v1:"

// SealKeyFile is the name of the seal key's file in a server's data
// directory.
const SealKeyFile = "seal.key"

// sealKeyBytes is the length of a seal key (AES-256).
const sealKeyBytes = 32

var (
	// ErrSealed is returned when a value is sealed and this store has no
	// seal key: the agent is not a server.
	ErrSealed = errors.New("value is sealed with the servers' key, which this agent does not hold")
	// ErrSealKeyMismatch is returned when a value was sealed with another
	// key than this server's.
	ErrSealKeyMismatch = errors.New("value is sealed with another seal key than this server's")
)

// SealKey encrypts the store's secrets. It is safe for concurrent use.
type SealKey struct {
	raw  []byte
	id   string // the first 4 bytes of the key's SHA-256, in hex
	aead cipher.AEAD
}

// NewSealKey makes a SealKey of 32 raw bytes.
func NewSealKey(raw []byte) (*SealKey, error) {
	if len(raw) != sealKeyBytes {
		return nil, fmt.Errorf("seal key: %d bytes, want %d", len(raw), sealKeyBytes)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	sum := sha256.Sum256(raw)
	return &SealKey{raw: append([]byte(nil), raw...), id: hex.EncodeToString(sum[:4]), aead: aead}, nil
}

// GenerateSealKey makes a new random SealKey.
func GenerateSealKey() (*SealKey, error) {
	raw := make([]byte, sealKeyBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate seal key: %w", err)
	}
	return NewSealKey(raw)
}

// ParseSealKey reads a key in its text form (64 hex digits).
func ParseSealKey(text string) (*SealKey, error) {
	raw, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("seal key: not hex: %w", err)
	}
	return NewSealKey(raw)
}

// ID names the key in sealed values and messages (not secret).
func (k *SealKey) ID() string { return k.id }

// String is the key's text form (64 hex digits): a secret.
func (k *SealKey) String() string { return hex.EncodeToString(k.raw) }

// LoadSealKey reads the seal key in dataDir; ok is false when there is
// no key file.
func LoadSealKey(dataDir string) (k *SealKey, ok bool, err error) {
	file := filepath.Join(dataDir, SealKeyFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read seal key: %w", err)
	}
	k, err = ParseSealKey(string(b))
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", file, err)
	}
	return k, true, nil
}

// WriteSealKey writes k into dataDir (mode 0600), refusing to replace an
// existing key file.
func WriteSealKey(dataDir string, k *SealKey) error {
	file := filepath.Join(dataDir, SealKeyFile)
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write seal key: %w", err)
	}
	if _, err := f.WriteString(k.String() + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("write seal key %s: %w", file, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write seal key %s: %w", file, err)
	}
	return f.Close()
}

// seal encrypts plain for the etcd key at.
func (k *SealKey) seal(at string, plain []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		// crypto/rand never fails on supported platforms.
		panic(fmt.Sprintf("read random nonce: %v", err))
	}
	out := append([]byte(sealMagic+k.id+":"), nonce...)
	return k.aead.Seal(out, nonce, plain, []byte(at))
}

// isSealed reports whether v is a sealed value.
func isSealed(v []byte) bool { return bytes.HasPrefix(v, []byte(sealMagic)) }

// open decrypts the value v stored at the etcd key at; a nil key opens
// only clear values.
func (k *SealKey) open(at string, v []byte) ([]byte, error) {
	if !isSealed(v) {
		return v, nil
	}
	if k == nil {
		return nil, fmt.Errorf("%s: %w", at, ErrSealed)
	}
	rest := v[len(sealMagic):]
	id, body, ok := bytes.Cut(rest, []byte(":"))
	if !ok {
		return nil, fmt.Errorf("%s: malformed sealed value", at)
	}
	if string(id) != k.id {
		return nil, fmt.Errorf("%s: %w (sealed with key %s, this server holds %s: copy %s from a server of this cluster into the data directory)",
			at, ErrSealKeyMismatch, id, k.id, SealKeyFile)
	}
	ns := k.aead.NonceSize()
	if len(body) < ns {
		return nil, fmt.Errorf("%s: malformed sealed value", at)
	}
	plain, err := k.aead.Open(nil, body[:ns], body[ns:], []byte(at))
	if err != nil {
		return nil, fmt.Errorf("%s: open sealed value: %w", at, err)
	}
	return plain, nil
}

// SetSealKey makes the store seal its secrets with k (servers call it
// once, right after Open, before anything reads a secret); without one it
// reads clear secrets only and writes them clear.
func (s *Store) SetSealKey(k *SealKey) { s.seal.Store(k) }

// sealValue is v as stored at the etcd key at: sealed when the store has
// a seal key.
func (s *Store) sealValue(at string, v []byte) []byte {
	if k := s.seal.Load(); k != nil {
		return k.seal(at, v)
	}
	return v
}

// openValue decrypts kv's value; a clear value read by a store with a
// seal key is sealed in place (unless it changed meanwhile), migrating
// secrets written before sealing existed.
func (s *Store) openValue(ctx context.Context, kv KV) ([]byte, error) {
	k := s.seal.Load()
	plain, err := k.open(kv.Key, kv.Value)
	if err != nil || k == nil || isSealed(kv.Value) {
		return plain, err
	}
	ok, _, err := s.Txn(ctx, []Cmp{{Key: kv.Key, ModRevision: kv.ModRevision}}, []Op{Put(kv.Key, k.seal(kv.Key, plain))})
	if err != nil {
		return nil, fmt.Errorf("seal %s: %w", kv.Key, err)
	}
	if ok {
		s.log.Info("sealed a secret stored in the clear", "key", kv.Key, "seal_key", k.id)
	}
	return plain, nil
}
