package acllogin

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/orbit/orbit/internal/acl"
)

// ErrInvalid is an auth method configuration, binding rule or login
// that cannot be accepted as given (a 400); the message says why.
var ErrInvalid = acl.ErrInvalid

// JWTConfig is a "jwt" auth method's Config, with Consul's field names.
type JWTConfig struct {
	// Keys: exactly one of JWTValidationPubKeys (PEM public keys or
	// certificates) and JWKSURL (with an optional PEM JWKSCACert).
	JWTValidationPubKeys []string
	JWKSURL              string
	JWKSCACert           string
	// OIDCDiscoveryURL is refused: orbit does not discover keys.
	OIDCDiscoveryURL    string
	OIDCDiscoveryCACert string

	BoundIssuer       string
	BoundAudiences    []string
	ClaimMappings     map[string]string
	ListClaimMappings map[string]string
	JWTSupportedAlgs  []string

	// Leeways: 0 uses the default (ClockSkewLeeway 60s, the others
	// 150s), a negative value none.
	ClockSkewLeeway  Duration
	ExpirationLeeway Duration
	NotBeforeLeeway  Duration

	pubKeys []crypto.PublicKey
}

// Duration decodes nanoseconds or a Go duration string ("90s").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if n, err := strconv.ParseFloat(string(b), 64); err == nil {
		*d = Duration(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration: %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// supportedAlgs are the signature algorithms a method may name; RS256
// is the default, as Consul's.
var supportedAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384,
	jose.ES512, jose.PS256, jose.PS384, jose.PS512, jose.EdDSA}

// ParseJWTConfig decodes and checks a "jwt" auth method's Config (unknown
// fields are refused, so a misspelt one is not silently ignored).
func ParseJWTConfig(raw map[string]any) (*JWTConfig, error) {
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: Invalid Auth Method: Config: %v", ErrInvalid, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c JWTConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: Invalid Auth Method: Config: %v", ErrInvalid, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%w: Invalid Auth Method: %v", ErrInvalid, err)
	}
	return &c, nil
}

func (c *JWTConfig) validate() error {
	if c.OIDCDiscoveryURL != "" || c.OIDCDiscoveryCACert != "" {
		return errors.New("OIDCDiscoveryURL is not supported; set JWKSURL or JWTValidationPubKeys")
	}
	switch {
	case len(c.JWTValidationPubKeys) > 0 && c.JWKSURL != "":
		return errors.New("exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set")
	case len(c.JWTValidationPubKeys) == 0 && c.JWKSURL == "":
		return errors.New("exactly one of 'JWTValidationPubKeys', 'JWKSURL', or 'OIDCDiscoveryURL' must be set")
	case c.JWKSURL == "" && c.JWKSCACert != "":
		return errors.New("'JWKSCACert' requires 'JWKSURL'")
	}
	if c.JWKSURL != "" && !strings.HasPrefix(c.JWKSURL, "http://") && !strings.HasPrefix(c.JWKSURL, "https://") {
		return fmt.Errorf("JWKSURL %q: want an http or https URL", c.JWKSURL)
	}
	if c.JWKSCACert != "" {
		if blk, _ := pem.Decode([]byte(c.JWKSCACert)); blk == nil {
			return errors.New("JWKSCACert: no PEM certificate found")
		}
	}
	for i, k := range c.JWTValidationPubKeys {
		pub, err := parsePublicKey(k)
		if err != nil {
			return fmt.Errorf("JWTValidationPubKeys[%d]: %v", i, err)
		}
		c.pubKeys = append(c.pubKeys, pub)
	}
	for _, a := range c.JWTSupportedAlgs {
		if !slices.Contains(supportedAlgs, jose.SignatureAlgorithm(a)) {
			return fmt.Errorf("JWTSupportedAlgs: unsupported algorithm %q", a)
		}
	}
	if err := checkMappings(c.ClaimMappings, c.ListClaimMappings); err != nil {
		return err
	}
	return nil
}

// checkMappings refuses an attribute name used twice or not usable in a
// selector.
func checkMappings(values, lists map[string]string) error {
	seen := map[string]bool{}
	for _, m := range []map[string]string{values, lists} {
		for claim, attr := range m {
			if claim == "" || !attrName.MatchString(attr) {
				return fmt.Errorf("claim mapping %q → %q: the attribute must be a name of letters, digits and '_'", claim, attr)
			}
			if seen[attr] {
				return fmt.Errorf("claim mappings: attribute %q is mapped twice", attr)
			}
			seen[attr] = true
		}
	}
	return nil
}

// parsePublicKey reads a PEM public key (PKIX or PKCS#1) or certificate.
func parsePublicKey(s string) (crypto.PublicKey, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		return nil, errors.New("no PEM block found")
	}
	switch blk.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(blk.Bytes)
	default:
		return x509.ParsePKIXPublicKey(blk.Bytes)
	}
}

// algs are the algorithms the method accepts.
func (c *JWTConfig) algs() []jose.SignatureAlgorithm {
	if len(c.JWTSupportedAlgs) == 0 {
		return []jose.SignatureAlgorithm{jose.RS256}
	}
	out := make([]jose.SignatureAlgorithm, len(c.JWTSupportedAlgs))
	for i, a := range c.JWTSupportedAlgs {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}

func leeway(d Duration, def time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return def
	}
	return time.Duration(d)
}

// Algorithms are every signature algorithm a method may accept.
func Algorithms() []jose.SignatureAlgorithm { return slices.Clone(supportedAlgs) }
