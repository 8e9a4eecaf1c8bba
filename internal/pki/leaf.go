package pki

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// leafTimeout bounds the store round trips of one ServerCertificate call
// (a TLS handshake waits on it).
const leafTimeout = 5 * time.Second

// sharedCertificate returns name's certificate from the shared storage
// when it is still fresh at now, else issues one and stores it unless
// another agent stored a fresh one first, whose certificate it then
// returns: of agents racing for a name, all end up presenting the winner's.
func (ca *CA) sharedCertificate(ls LeafStorage, name string, now time.Time) (*tls.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), leafTimeout)
	defer cancel()
	bundle, rev, err := ls.LoadCALeaf(ctx, name)
	if err != nil {
		return nil, err
	}
	if rev != 0 {
		c, err := decodeLeaf(bundle)
		if err != nil {
			ca.log.Warn("replacing an undecodable shared certificate", "name", name, "err", err)
		} else if now.Before(renewAt(c.Leaf)) {
			return c, nil
		}
	}
	c, err := ca.IssueServer(name)
	if err != nil {
		return nil, err
	}
	enc, err := encodeLeaf(c)
	if err != nil {
		return nil, err
	}
	stored, err := ls.CreateCALeaf(ctx, name, rev, enc)
	if err != nil {
		return nil, err
	}
	if string(stored) == string(enc) {
		ca.log.Info("issued shared server certificate", "name", name, "not_after", c.Leaf.NotAfter)
		return c, nil
	}
	return decodeLeaf(stored)
}

// encodeLeaf is a certificate as stored: its PEM chain, then its PEM
// PKCS#8 key.
func encodeLeaf(c *tls.Certificate) ([]byte, error) {
	var out []byte
	for _, der := range c.Certificate {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("marshal leaf key: %w", err)
	}
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk})...), nil
}

// decodeLeaf parses a stored certificate.
func decodeLeaf(bundle []byte) (*tls.Certificate, error) {
	c := &tls.Certificate{}
	for rest := bundle; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			c.Certificate = append(c.Certificate, b.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse leaf key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("leaf key of type %T cannot sign", k)
			}
			c.PrivateKey = s
		}
	}
	if len(c.Certificate) == 0 || c.PrivateKey == nil {
		return nil, errors.New("stored certificate lacks a certificate or a key")
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("parse leaf certificate: %w", err)
	}
	c.Leaf = leaf
	return c, nil
}
