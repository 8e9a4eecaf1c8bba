package zone

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// TSIGKey is a shared secret that authenticates zone transfers and
// NOTIFYs (RFC 8945), as PowerDNS's TSIG keys: a key name, an HMAC
// algorithm and a base64 secret. A zone with keys transfers only to
// requests signed with one of them.
type TSIGKey struct {
	// Name is the key's name as a domain name ("xfr-key.").
	Name string `json:"Name"`
	// Algorithm is "hmac-sha256" (the default when empty), "hmac-sha384",
	// "hmac-sha512" or "hmac-sha1".
	Algorithm string `json:"Algorithm,omitempty"`
	// Secret is the key in base64 (at least 16 bytes decoded). The zone
	// API never shows it: answers carry it empty.
	Secret string `json:"Secret,omitempty"`
}

// tsigAlgorithms maps the names accepted (PowerDNS's) to miekg's
// canonical algorithm names.
var tsigAlgorithms = map[string]string{
	"hmac-sha1":   dns.HmacSHA1,
	"hmac-sha256": dns.HmacSHA256,
	"hmac-sha384": dns.HmacSHA384,
	"hmac-sha512": dns.HmacSHA512,
}

// AlgorithmName is the key's algorithm as written in a TSIG record
// ("hmac-sha256.").
func (k TSIGKey) AlgorithmName() string { return tsigAlgorithms[k.Algorithm] }

// Validate checks a key and canonicalises its name and algorithm.
func (k *TSIGKey) Validate() error {
	name, err := Canonical(k.Name)
	if err != nil {
		return fmt.Errorf("tsig key name: %w", err)
	}
	k.Name = name
	k.Algorithm = strings.TrimSuffix(strings.ToLower(k.Algorithm), ".")
	if k.Algorithm == "" {
		k.Algorithm = "hmac-sha256"
	}
	if _, ok := tsigAlgorithms[k.Algorithm]; !ok {
		return fmt.Errorf("%w: tsig key %s: algorithm %q is not one of hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha1", ErrInvalid, name, k.Algorithm)
	}
	raw, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil {
		return fmt.Errorf("%w: tsig key %s: secret is not base64: %v", ErrInvalid, name, err)
	}
	if len(raw) < 16 {
		return fmt.Errorf("%w: tsig key %s: secret of %d bytes; at least 16 are needed", ErrInvalid, name, len(raw))
	}
	return nil
}

// validateKeys checks a zone's keys; names are unique.
func validateKeys(keys []TSIGKey) error {
	seen := map[string]bool{}
	for i := range keys {
		if err := keys[i].Validate(); err != nil {
			return err
		}
		if seen[keys[i].Name] {
			return fmt.Errorf("%w: tsig key %s listed twice", ErrInvalid, keys[i].Name)
		}
		seen[keys[i].Name] = true
	}
	return nil
}

// Redacted returns a copy of z fit to show: secrets removed.
func (z Zone) Redacted() Zone {
	if len(z.TSIGKeys) > 0 {
		z.TSIGKeys = slices.Clone(z.TSIGKeys)
		for i := range z.TSIGKeys {
			z.TSIGKeys[i].Secret = ""
		}
	}
	if z.DNSSEC != nil {
		d := *z.DNSSEC
		d.PrivateKey = ""
		z.DNSSEC = &d
	}
	return z
}
