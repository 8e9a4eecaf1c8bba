package pki

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
)

// NodeSigner signs this node's certificate requests: the CA itself on a
// server, the servers' API on a client agent.
type NodeSigner interface {
	// SignNode returns the PEM chain for a PEM certificate request.
	SignNode(ctx context.Context, csrPEM []byte) ([]byte, error)
}

// NodeCertConfig places and names a node's certificate.
type NodeCertConfig struct {
	// Dir holds node-key.pem and node-cert.pem (the chain) across
	// restarts; required.
	Dir string
	// Node is the node name, the certificate's common name; required.
	Node string
	// IPs are the addresses the node serves TLS on (its bind address).
	IPs   []net.IP
	Clock clockwork.Clock // nil: the real clock
	// Logger receives renewals and failures; nil discards them.
	Logger *slog.Logger
}

// File names in NodeCertConfig.Dir.
const (
	NodeKeyFile  = "node-key.pem"
	NodeCertFile = "node-cert.pem"
)

// NodeCert is this node's certificate, renewed by Run before it expires
// and handed to TLS through GetCertificate and GetClientCertificate, so
// connections pick up a renewed certificate without a restart.
type NodeCert struct {
	cfg    NodeCertConfig
	signer NodeSigner
	key    *ecdsa.PrivateKey
	log    *slog.Logger
	cur    atomic.Pointer[tls.Certificate]
	// renewed is signalled (without blocking) after each renewal, for
	// tests and waiters.
	renewed chan struct{}
}

// NewNodeCert loads the node's key and certificate from cfg.Dir, making
// the key on first start, and obtains a certificate from signer when there
// is none or the stored one is due for renewal (a stored one still valid
// is used when the signer fails).
func NewNodeCert(ctx context.Context, cfg NodeCertConfig, signer NodeSigner) (*NodeCert, error) {
	if cfg.Dir == "" || cfg.Node == "" {
		return nil, errors.New("node certificate: needs a directory and a node name")
	}
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewRealClock()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key, err := loadOrCreateKey(filepath.Join(cfg.Dir, NodeKeyFile))
	if err != nil {
		return nil, err
	}
	n := &NodeCert{cfg: cfg, signer: signer, key: key, log: log, renewed: make(chan struct{}, 1)}
	if c, err := n.load(); err == nil {
		n.cur.Store(c)
	} else if !errors.Is(err, fs.ErrNotExist) {
		log.Warn("stored node certificate unusable; asking for a new one", "err", err)
	}
	if c := n.cur.Load(); c == nil || !cfg.Clock.Now().Before(renewAt(c.Leaf)) {
		if err := n.renew(ctx); err != nil {
			if c == nil || !cfg.Clock.Now().Before(c.Leaf.NotAfter) {
				return nil, err
			}
			log.Warn("node certificate due for renewal; keeping the stored one until a renewal succeeds", "err", err)
		}
	}
	select { // Renewed reports Run's renewals, not the first certificate
	case <-n.renewed:
	default:
	}
	return n, nil
}

// Current is the certificate in use.
func (n *NodeCert) Current() *tls.Certificate { return n.cur.Load() }

// GetCertificate serves the current certificate (tls.Config.GetCertificate).
func (n *NodeCert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return n.cur.Load(), nil
}

// GetClientCertificate presents the current certificate
// (tls.Config.GetClientCertificate).
func (n *NodeCert) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	return n.cur.Load(), nil
}

// Renewed is signalled after each renewal (one pending signal at most).
func (n *NodeCert) Renewed() <-chan struct{} { return n.renewed }

// Run renews the certificate once two thirds of its lifetime have passed,
// retrying a failed renewal every minute (sooner near expiry), until ctx
// ends.
func (n *NodeCert) Run(ctx context.Context) error {
	for {
		leaf := n.cur.Load().Leaf
		wait := renewAt(leaf).Sub(n.cfg.Clock.Now())
		select {
		case <-ctx.Done():
			return nil
		case <-n.cfg.Clock.After(wait):
		}
		for {
			err := n.renew(ctx)
			if err == nil || ctx.Err() != nil {
				break
			}
			retry := min(time.Minute, max(time.Second, leaf.NotAfter.Sub(n.cfg.Clock.Now())/10))
			n.log.Error("renew node certificate", "err", err, "expires", leaf.NotAfter, "retry_in", retry)
			select {
			case <-ctx.Done():
				return nil
			case <-n.cfg.Clock.After(retry):
			}
		}
	}
}

// renew asks the signer for a certificate for the node's key, stores it
// and makes it current.
func (n *NodeCert) renew(ctx context.Context) error {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: n.cfg.Node}, IPAddresses: n.cfg.IPs}, n.key)
	if err != nil {
		return fmt.Errorf("node certificate request: %w", err)
	}
	chain, err := n.signer.SignNode(ctx, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	if err != nil {
		return fmt.Errorf("node certificate for %q: %w", n.cfg.Node, err)
	}
	c, err := n.parse(chain)
	if err != nil {
		return fmt.Errorf("node certificate for %q: %w", n.cfg.Node, err)
	}
	if err := writeFileAtomic(filepath.Join(n.cfg.Dir, NodeCertFile), chain); err != nil {
		return err
	}
	n.cur.Store(c)
	n.log.Info("node certificate renewed", "node", n.cfg.Node, "serial", c.Leaf.SerialNumber.Text(16), "not_after", c.Leaf.NotAfter)
	select {
	case n.renewed <- struct{}{}:
	default:
	}
	return nil
}

func (n *NodeCert) load() (*tls.Certificate, error) {
	chain, err := os.ReadFile(filepath.Join(n.cfg.Dir, NodeCertFile))
	if err != nil {
		return nil, err
	}
	return n.parse(chain)
}

// parse checks that chain certifies this node's key and name.
func (n *NodeCert) parse(chain []byte) (*tls.Certificate, error) {
	c := &tls.Certificate{PrivateKey: n.key}
	for rest := chain; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			c.Certificate = append(c.Certificate, b.Bytes)
		}
	}
	if len(c.Certificate) == 0 {
		return nil, errors.New("no certificate in the signed chain")
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parse node certificate: %w", err)
	}
	pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&n.key.PublicKey) {
		return nil, errors.New("the certificate is not for this node's key")
	}
	if leaf.Subject.CommonName != n.cfg.Node {
		return nil, fmt.Errorf("the certificate names %q, not this node", leaf.Subject.CommonName)
	}
	c.Leaf = leaf
	return c, nil
}

// loadOrCreateKey reads a PEM PKCS#8 ECDSA key, creating it (0600) when
// the file does not exist.
func loadOrCreateKey(file string) (*ecdsa.PrivateKey, error) {
	b, err := os.ReadFile(file)
	if err == nil {
		p, _ := pem.Decode(b)
		if p == nil {
			return nil, fmt.Errorf("%s: no PEM key", file)
		}
		k, err := x509.ParsePKCS8PrivateKey(p.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: key of type %T, want ECDSA", file, k)
		}
		return ek, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate node key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal node key: %w", err)
	}
	if err := writeFileAtomic(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return nil, err
	}
	return k, nil
}

// writeFileAtomic replaces file with b (mode 0600) through a renamed
// temporary file, so a reader never sees half of it.
func writeFileAtomic(file string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-"+filepath.Base(file))
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
