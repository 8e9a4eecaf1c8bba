package identity

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math/big"
)

// JWK is one public key of a JWKS (RFC 7517), RSA only.
type JWK struct {
	KeyType string `json:"kty"`
	KeyID   string `json:"kid"`
	Use     string `json:"use"`
	Alg     string `json:"alg"`
	N       string `json:"n"`
	E       string `json:"e"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicJWK is pub as a signing JWK named kid.
func PublicJWK(kid string, pub *rsa.PublicKey) JWK {
	return JWK{KeyType: "RSA", KeyID: kid, Use: "sig", Alg: Alg,
		N: b64.EncodeToString(pub.N.Bytes()), E: b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

// PublicKey decodes an RSA JWK.
func (j JWK) PublicKey() (*rsa.PublicKey, error) {
	if j.KeyType != "RSA" {
		return nil, fmt.Errorf("jwk %q: key type %q, want RSA", j.KeyID, j.KeyType)
	}
	n, err := b64.DecodeString(j.N)
	if err != nil || len(n) == 0 {
		return nil, fmt.Errorf("jwk %q: bad modulus", j.KeyID)
	}
	e, err := b64.DecodeString(j.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("jwk %q: bad exponent", j.KeyID)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

// PublicKeys decodes every key of the set by key id.
func (s JWKS) PublicKeys() (map[string]*rsa.PublicKey, error) {
	out := make(map[string]*rsa.PublicKey, len(s.Keys))
	for _, k := range s.Keys {
		pub, err := k.PublicKey()
		if err != nil {
			return nil, err
		}
		out[k.KeyID] = pub
	}
	return out, nil
}

// Thumbprint is pub's RFC 7638 thumbprint (SHA-256, base64url), used as
// its key id: the same key has the same id on every server.
func Thumbprint(pub *rsa.PublicKey) string {
	j := PublicJWK("", pub)
	// RFC 7638: the required members in lexicographic order, no spaces.
	canon, _ := json.Marshal(struct {
		E   string `json:"e"`
		Kty string `json:"kty"`
		N   string `json:"n"`
	}{j.E, j.KeyType, j.N})
	sum := sha256.Sum256(canon)
	return b64.EncodeToString(sum[:])
}

// Discovery is the OIDC discovery document served at
// /.well-known/openid-configuration.
type Discovery struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
}

// NewDiscovery is the discovery document of issuer (a URL without a
// trailing slash).
func NewDiscovery(issuer string) Discovery {
	return Discovery{Issuer: issuer, JWKSURI: issuer + JWKSPath, IDTokenSigningAlgValuesSupported: []string{Alg},
		ResponseTypesSupported: []string{"code"}, SubjectTypesSupported: []string{"public"}}
}
