package connectca

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"time"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// leafJSON is Consul's IssuedCert.
type leafJSON struct {
	SerialNumber  string
	CertPEM       string
	PrivateKeyPEM string
	Service       string
	ServiceURI    string
	ValidAfter    time.Time
	ValidBefore   time.Time
	CreateIndex   uint64
	ModifyIndex   uint64
}

// leafIndex is a certificate's index: its issue time in seconds, which
// grows with every renewal, also across agent restarts.
func leafIndex(c *x509.Certificate) uint64 { return uint64(max(c.NotBefore.Unix(), 1)) }

// leaf answers the service's certificate, the same one until it is due
// for renewal; a blocking query returns when it was renewed. The token
// needs service:write on the service, as in Consul.
func (h *Handler) leaf(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("service")
	if err := h.may(r, acl.Service, name, acl.Write); err != nil {
		return err
	}
	if err := checkServiceName(name); err != nil {
		return err
	}
	q, err := httpkit.ParseQuery(r, httpkit.Consul, 0)
	if err != nil {
		return err
	}
	ttl, err := h.leafTTL(r.Context())
	if err != nil {
		return err
	}
	if err := h.kit.Block(r.Context(), q, h.waitRenewal(name, ttl)); err != nil {
		return err
	}
	c, err := h.ca.Leaf(name, ttl)
	if err != nil {
		return fmt.Errorf("service certificate for %q: %w", name, err)
	}
	out, err := leafAnswer(name, c)
	if err != nil {
		return err
	}
	return h.answer(w, r, out.ModifyIndex, out)
}

// waitRenewal returns once the service's certificate has another index
// than the client's, checking again whenever the kept one is due for
// renewal.
func (h *Handler) waitRenewal(name string, ttl time.Duration) httpkit.Waiter {
	return func(ctx context.Context, index uint64) {
		for {
			c, err := h.ca.Leaf(name, ttl)
			if err != nil || leafIndex(c.Leaf) != index {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-h.kit.Clock.After(h.ca.RenewAt(c.Leaf).Sub(h.kit.Clock.Now())):
			}
		}
	}
}

func leafAnswer(name string, c *tls.Certificate) (*leafJSON, error) {
	block, err := keyPEM(c)
	if err != nil {
		return nil, err
	}
	uri := ""
	if len(c.Leaf.URIs) > 0 {
		uri = c.Leaf.URIs[0].String()
	}
	idx := leafIndex(c.Leaf)
	return &leafJSON{
		SerialNumber:  colonHex(c.Leaf.SerialNumber.Bytes()),
		CertPEM:       string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Leaf.Raw})),
		PrivateKeyPEM: string(block),
		Service:       name,
		ServiceURI:    uri,
		ValidAfter:    c.Leaf.NotBefore.UTC(),
		ValidBefore:   c.Leaf.NotAfter.UTC(),
		CreateIndex:   idx,
		ModifyIndex:   idx,
	}, nil
}

// keyPEM is the certificate's key as Consul writes an EC key (SEC 1, "EC
// PRIVATE KEY"), or PKCS #8 for another kind.
func keyPEM(c *tls.Certificate) ([]byte, error) {
	if k, ok := c.PrivateKey.(*ecdsa.PrivateKey); ok {
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("marshal service key: %w", err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("marshal service key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
