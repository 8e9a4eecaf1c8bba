package zone

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/miekg/dns"
)

// DNSSEC is a zone's signing key: one combined key (a CSK, flags 257)
// that signs every answer online, as `pdnsutil secure-zone` sets up with
// a single key. Denial of existence is NSEC "black lies" (RFC 9824): a
// missing name is answered NODATA with an NSEC naming only the types
// RRSIG and NSEC, so the zone cannot be walked.
type DNSSEC struct {
	// Algorithm is "ECDSAP256SHA256" (algorithm 13), the only one offered.
	Algorithm string `json:"Algorithm"`
	// PublicKey is the DNSKEY's public key field (base64).
	PublicKey string `json:"PublicKey"`
	// PrivateKey is the key in BIND's private-key format, as
	// `pdnsutil export-zone-key` prints it. The zone API never shows it.
	PrivateKey string `json:"PrivateKey,omitempty"`
}

// DNSKEY is the zone's DNSKEY record.
func (d *DNSSEC) DNSKEY(apex string, ttl uint32) *dns.DNSKEY {
	return &dns.DNSKEY{
		Hdr:   dns.RR_Header{Name: apex, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: ttl},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256, PublicKey: d.PublicKey,
	}
}

// DS is the DS record (SHA-256 digest) to publish in the parent zone.
func (d *DNSSEC) DS(apex string, ttl uint32) *dns.DS { return d.DNSKEY(apex, ttl).ToDS(dns.SHA256) }

// Signer parses the private key.
func (d *DNSSEC) Signer(apex string) (crypto.Signer, error) {
	k := d.DNSKEY(apex, 0)
	priv, err := k.ReadPrivateKey(strings.NewReader(d.PrivateKey), "zone "+apex+" DNSSEC key")
	if err != nil {
		return nil, fmt.Errorf("%w: DNSSEC private key: %v", ErrInvalid, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: DNSSEC private key is not a signing key", ErrInvalid)
	}
	return s, nil
}

// Validate checks the algorithm and that the private key matches the
// public one.
func (d *DNSSEC) Validate(apex string) error {
	if d.Algorithm == "" {
		d.Algorithm = "ECDSAP256SHA256"
	}
	if !strings.EqualFold(d.Algorithm, "ECDSAP256SHA256") {
		return fmt.Errorf("%w: DNSSEC algorithm %q; only ECDSAP256SHA256 is offered", ErrInvalid, d.Algorithm)
	}
	d.Algorithm = "ECDSAP256SHA256"
	s, err := d.Signer(apex)
	if err != nil {
		return err
	}
	k := d.DNSKEY(apex, 0)
	pub := &dns.DNSKEY{Hdr: k.Hdr, Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	if pub.PublicKey = publicKeyField(pub, s); pub.PublicKey != d.PublicKey {
		return fmt.Errorf("%w: DNSSEC private key does not match the public key", ErrInvalid)
	}
	return nil
}

// publicKeyField is the DNSKEY public key field derived from the private
// scalar of s: X and Y of the P-256 point, 32 bytes each (RFC 6605), in
// base64. (miekg's parser takes the public half from the DNSKEY, so it is
// derived here to catch a private key of another pair.)
func publicKeyField(_ *dns.DNSKEY, s crypto.Signer) string {
	priv, ok := s.(*ecdsa.PrivateKey)
	if !ok {
		return ""
	}
	k, err := ecdh.P256().NewPrivateKey(priv.D.FillBytes(make([]byte, 32)))
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(k.PublicKey().Bytes()[1:]) // after the 0x04 prefix
}

// GenerateDNSSEC makes a new ECDSAP256SHA256 key for apex (from
// crypto/rand, through miekg's generator).
func GenerateDNSSEC(apex string) (*DNSSEC, error) {
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET},
		Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
	priv, err := k.Generate(256)
	if err != nil {
		return nil, fmt.Errorf("generate DNSSEC key for %s: %w", apex, err)
	}
	return &DNSSEC{Algorithm: "ECDSAP256SHA256", PublicKey: k.PublicKey, PrivateKey: k.PrivateKeyString(priv)}, nil
}

// DNSSECInfo is a secured zone's public key material, as the zone API
// shows it: the DNSKEY served at the apex and the DS records to publish
// in the parent zone.
type DNSSECInfo struct {
	Zone      string   `json:"Zone"`
	Algorithm string   `json:"Algorithm"`
	KeyTag    uint16   `json:"KeyTag"`
	DNSKEY    string   `json:"DNSKEY"`
	DS        []string `json:"DS"`
}

// DNSSECInfo describes z's key; z.DNSSEC must be set.
func (z *Zone) DNSSECInfo() DNSSECInfo {
	k := z.DNSSEC.DNSKEY(z.Name, z.TTL)
	return DNSSECInfo{Zone: z.Name, Algorithm: z.DNSSEC.Algorithm, KeyTag: k.KeyTag(), DNSKEY: k.String(),
		DS: []string{z.DNSSEC.DS(z.Name, z.TTL).String()}}
}
