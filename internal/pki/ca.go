package pki

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// Config tunes the CA. The zero value is usable.
type Config struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// LeafTTL is the lifetime of issued certificates; 0 means 24h. Leaves
	// are renewed once two thirds of it have passed.
	LeafTTL time.Duration
	// RootTTL is the lifetime of a newly created root; 0 means 10 years.
	RootTTL time.Duration
	// CommonName of a newly created root; "" means "orbit internal CA".
	CommonName string
	// MaxCached bounds the leaf cache; 0 means 10000 names.
	MaxCached int
	Logger    *slog.Logger
}

// ErrInvalidName is returned for a name no certificate can be issued for.
var ErrInvalidName = errors.New("invalid certificate name")

// CA is the loaded root with a cache of issued server certificates. It is
// safe for concurrent use.
type CA struct {
	cfg     Config
	root    *x509.Certificate
	key     crypto.Signer
	rootPEM []byte
	pool    *x509.CertPool
	log     *slog.Logger

	// leaves shares issued certificates with the other agents; nil when
	// the Storage cannot.
	leaves LeafStorage

	// mu guards cache.
	mu    sync.Mutex
	cache map[string]*tls.Certificate
}

// New loads the root from st, creating and storing one when there is none.
func New(ctx context.Context, cfg Config, st Storage) (*CA, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LeafTTL <= 0 {
		cfg.LeafTTL = 24 * time.Hour
	}
	if cfg.RootTTL <= 0 {
		cfg.RootTTL = 10 * 365 * 24 * time.Hour
	}
	if cfg.CommonName == "" {
		cfg.CommonName = "orbit internal CA"
	}
	if cfg.MaxCached <= 0 {
		cfg.MaxCached = 10000
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	bundle, ok, err := st.LoadCARoot(ctx)
	if err != nil {
		return nil, fmt.Errorf("load CA root: %w", err)
	}
	if !ok {
		fresh, err := newRootBundle(cfg)
		if err != nil {
			return nil, err
		}
		if bundle, err = st.CreateCARoot(ctx, fresh); err != nil {
			return nil, fmt.Errorf("store CA root: %w", err)
		}
		log.Info("created internal CA root", "cn", cfg.CommonName)
	}
	ca, err := parseBundle(bundle)
	if err != nil {
		return nil, err
	}
	ca.cfg, ca.log, ca.cache = cfg, log, map[string]*tls.Certificate{}
	ca.leaves, _ = st.(LeafStorage)
	return ca, nil
}

func newRootBundle(cfg Config) ([]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	now := cfg.Now()
	tpl := &x509.Certificate{
		SerialNumber:          randomSerial(),
		Subject:               pkix.Name{CommonName: cfg.CommonName, Organization: []string{"orbit"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(cfg.RootTTL),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal CA key: %w", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...), nil
}

func parseBundle(bundle []byte) (*CA, error) {
	ca := &CA{}
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse CA certificate: %w", err)
			}
			ca.root = c
			ca.rootPEM = pem.EncodeToMemory(b)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse CA key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("CA key of type %T cannot sign", k)
			}
			ca.key = s
		}
	}
	if ca.root == nil || ca.key == nil {
		return nil, errors.New("CA root bundle lacks a certificate or a key")
	}
	ca.pool = x509.NewCertPool()
	ca.pool.AddCert(ca.root)
	return ca, nil
}

// Root is the root certificate.
func (ca *CA) Root() *x509.Certificate { return ca.root }

// RootPEM is the root certificate in PEM, for clients to trust.
func (ca *CA) RootPEM() []byte { return append([]byte(nil), ca.rootPEM...) }

// RootPool is a pool holding only the root, for Go clients to trust.
func (ca *CA) RootPool() *x509.CertPool { return ca.pool.Clone() }

// IssueServer issues a new server certificate for names (DNS names or IP
// addresses; the first is the subject), uncached.
func (ca *CA) IssueServer(names ...string) (*tls.Certificate, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no names", ErrInvalidName)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate leaf key: %w", err)
	}
	now := ca.cfg.Now()
	tpl := &x509.Certificate{
		SerialNumber:   randomSerial(),
		Subject:        pkix.Name{CommonName: names[0]},
		NotBefore:      now.Add(-5 * time.Minute),
		NotAfter:       now.Add(ca.cfg.LeafTTL),
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		AuthorityKeyId: ca.root.SubjectKeyId,
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tpl.IPAddresses = append(tpl.IPAddresses, ip)
			continue
		}
		if err := checkDNSName(n); err != nil {
			return nil, err
		}
		tpl.DNSNames = append(tpl.DNSNames, n)
	}
	if tpl.NotAfter.After(ca.root.NotAfter) {
		tpl.NotAfter = ca.root.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.root, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("issue certificate for %v: %w", names, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse issued certificate: %w", err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.root.Raw}, PrivateKey: key, Leaf: leaf}, nil
}

// ServerCertificate returns a cached server certificate for one name,
// issuing one when none is cached or the cached one has used two thirds of
// its lifetime. With a LeafStorage the certificate is the one shared by
// every agent (issued once, by whichever asked first); when the storage
// fails the certificate is issued for this process alone.
func (ca *CA) ServerCertificate(name string) (*tls.Certificate, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	now := ca.cfg.Now()
	ca.mu.Lock()
	c := ca.cache[name]
	ca.mu.Unlock()
	if c != nil && now.Before(renewAt(c.Leaf)) {
		return c, nil
	}
	c, err := ca.obtain(name, now)
	if err != nil {
		return nil, err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if len(ca.cache) >= ca.cfg.MaxCached {
		for k, old := range ca.cache {
			if !now.Before(renewAt(old.Leaf)) || len(ca.cache) >= ca.cfg.MaxCached {
				delete(ca.cache, k)
			}
		}
	}
	ca.cache[name] = c
	return c, nil
}

// obtain gets a fresh certificate for name: the shared one when the
// storage shares them, else a new one.
func (ca *CA) obtain(name string, now time.Time) (*tls.Certificate, error) {
	if err := checkDNSName(name); err != nil && net.ParseIP(name) == nil {
		return nil, err
	}
	if ca.leaves != nil {
		c, err := ca.sharedCertificate(ca.leaves, name, now)
		if err == nil {
			return c, nil
		}
		ca.log.Error("shared certificate unavailable; issuing one for this agent", "name", name, "err", err)
	}
	c, err := ca.IssueServer(name)
	if err != nil {
		return nil, err
	}
	ca.log.Debug("issued server certificate", "name", name, "not_after", c.Leaf.NotAfter)
	return c, nil
}

func renewAt(leaf *x509.Certificate) time.Time {
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	return leaf.NotBefore.Add(life * 2 / 3)
}

func checkDNSName(n string) error {
	if n == "" || len(n) > 253 {
		return fmt.Errorf("%w: %q", ErrInvalidName, n)
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%w: %q has an empty or too long label", ErrInvalidName, n)
		}
		for i, r := range label {
			ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || (r == '*' && i == 0 && len(label) == 1)
			if !ok {
				return fmt.Errorf("%w: %q contains %q", ErrInvalidName, n, r)
			}
		}
	}
	return nil
}

func randomSerial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand never fails on supported platforms.
		panic(fmt.Sprintf("read random serial: %v", err))
	}
	return n.Add(n, big.NewInt(1))
}

func keyID(pub *ecdsa.PublicKey) []byte {
	b, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha1.Sum(b)
	return sum[:]
}
