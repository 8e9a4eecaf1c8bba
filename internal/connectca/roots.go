package connectca

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
)

// rootJSON is one root in Consul's CARoot shape.
type rootJSON struct {
	ID                  string
	Name                string
	SerialNumber        uint64
	SigningKeyID        string
	ExternalTrustDomain string
	NotBefore           time.Time
	NotAfter            time.Time
	RootCert            string
	IntermediateCerts   []string
	Active              bool
	PrivateKeyType      string
	PrivateKeyBits      int
	CreateIndex         uint64
	ModifyIndex         uint64
}

// rootListJSON is Consul's IndexedCARoots.
type rootListJSON struct {
	ActiveRootID string
	TrustDomain  string
	Roots        []rootJSON
}

// roots answers the trusted roots: orbit's one active root. No ACL is
// needed, as in Consul. ?pem=true answers the PEM chain instead.
func (h *Handler) roots(w http.ResponseWriter, r *http.Request) error {
	q, err := httpkit.ParseQuery(r, httpkit.Consul, 0)
	if err != nil {
		return err
	}
	idx, err := h.rootIndexes(r.Context())
	if err != nil {
		return err
	}
	if err := h.kit.Block(r.Context(), q, unchanging(idx[1])); err != nil {
		return err
	}
	root := h.ca.Root()
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}))
	if v := r.URL.Query().Get("pem"); v != "" {
		if ok, err := strconv.ParseBool(v); err != nil {
			return httpkit.BadRequest("invalid pem %q: want true or false", v)
		} else if ok {
			httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{Index: idx[1], KnownLeader: true})
			w.Header().Set("Content-Type", "application/pem-certificate-chain")
			_, _ = w.Write([]byte(certPEM))
			return nil
		}
	}
	sum := sha1.Sum(root.Raw)
	id := colonHex(sum[:])
	td := h.ca.TrustDomain()
	one := rootJSON{
		ID:                  id,
		Name:                root.Subject.CommonName,
		SerialNumber:        root.SerialNumber.Uint64(),
		SigningKeyID:        colonHex(root.SubjectKeyId),
		ExternalTrustDomain: strings.TrimSuffix(td, ".consul"),
		NotBefore:           root.NotBefore.UTC(),
		NotAfter:            root.NotAfter.UTC(),
		RootCert:            certPEM,
		Active:              true,
		CreateIndex:         idx[0],
		ModifyIndex:         idx[1],
	}
	one.PrivateKeyType, one.PrivateKeyBits = keyType(root)
	return h.answer(w, r, idx[1], rootListJSON{ActiveRootID: id, TrustDomain: td, Roots: []rootJSON{one}})
}

// keyType is the root key's type and size as Consul names them.
func keyType(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		return "ec", k.Curve.Params().BitSize
	case *rsa.PublicKey:
		return "rsa", k.N.BitLen()
	}
	return c.PublicKeyAlgorithm.String(), 0
}

// colonHex is b as lower-case hex pairs joined by colons, the way Consul
// writes ids and serial numbers.
func colonHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}
