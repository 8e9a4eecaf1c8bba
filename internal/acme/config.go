package acme

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
)

// Challenge types a resolver may use.
const (
	ChallengeHTTP01    = "http-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
	ChallengeDNS01     = "dns-01"
)

// Resolver is one certificate resolver, named as routers name it in
// traefik.http.routers.x.tls.certresolver.
type Resolver struct {
	Name string
	// Email is the ACME account's contact address.
	Email string
	// CAServer is the ACME directory URL; empty means Let's Encrypt's
	// production directory.
	CAServer string
	// CARoot is PEM certificates to trust when talking to CAServer (a
	// private or test ACME server); empty trusts the system roots.
	CARoot []byte
	// Challenge is ChallengeHTTP01 (the default), ChallengeTLSALPN01 or
	// ChallengeDNS01 (the only one that yields wildcard certificates).
	Challenge string
	// KeyType of certificate keys: ec256 (the default), ec384, rsa2048,
	// rsa4096 or ed25519 (Traefik's names, case-insensitive).
	KeyType string
}

// Config is the ACME engine's configuration.
type Config struct {
	Resolvers []Resolver
	// HTTPAddr and TLSAddr are the edge's bound web and websecure
	// addresses: the ports the CA validates HTTP-01 and TLS-ALPN-01 on.
	HTTPAddr, TLSAddr string
	// DNSServers are orbit's DNS servers (host:port) DNS-01 looks the
	// zone up on and waits for the challenge record to be served by.
	// Empty uses the system's resolvers and the zone's name servers.
	DNSServers []string
	// RenewCheckInterval is how often certificates are checked for
	// renewal and for a newer copy in the store; 0 means 10 minutes.
	RenewCheckInterval time.Duration
	// DNSPropagationTimeout bounds waiting for a DNS-01 record to be
	// served; 0 means 2 minutes.
	DNSPropagationTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.RenewCheckInterval == 0 {
		c.RenewCheckInterval = 10 * time.Minute
	}
	if c.DNSPropagationTimeout == 0 {
		c.DNSPropagationTimeout = 2 * time.Minute
	}
	for i := range c.Resolvers {
		r := &c.Resolvers[i]
		r.Challenge = strings.ToLower(r.Challenge)
		if r.Challenge == "" {
			r.Challenge = ChallengeHTTP01
		}
		if r.CAServer == "" {
			r.CAServer = certmagic.LetsEncryptProductionCA
		}
	}
}

// keyTypes maps Traefik's key type names to certmagic's.
var keyTypes = map[string]certmagic.KeyType{
	"": certmagic.P256, "ec256": certmagic.P256, "ec384": certmagic.P384,
	"rsa2048": certmagic.RSA2048, "rsa4096": certmagic.RSA4096, "ed25519": certmagic.ED25519,
}

// Validate reports configuration errors.
func (c Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for _, r := range c.Resolvers {
		if r.Name == "" {
			errs = append(errs, errors.New("certificate resolver without a name"))
		}
		if seen[r.Name] {
			errs = append(errs, fmt.Errorf("certificate resolver %q defined twice", r.Name))
		}
		seen[r.Name] = true
		switch strings.ToLower(r.Challenge) {
		case "", ChallengeHTTP01, ChallengeTLSALPN01, ChallengeDNS01:
		default:
			errs = append(errs, fmt.Errorf("certificate resolver %q: challenge %q: want %s, %s or %s", r.Name, r.Challenge, ChallengeHTTP01, ChallengeTLSALPN01, ChallengeDNS01))
		}
		if _, ok := keyTypes[strings.ToLower(r.KeyType)]; !ok {
			errs = append(errs, fmt.Errorf("certificate resolver %q: key_type %q: want ec256, ec384, rsa2048, rsa4096 or ed25519", r.Name, r.KeyType))
		}
		if r.Email != "" && !strings.Contains(r.Email, "@") {
			errs = append(errs, fmt.Errorf("certificate resolver %q: email %q is not an address", r.Name, r.Email))
		}
	}
	if c.RenewCheckInterval < 0 || c.DNSPropagationTimeout < 0 {
		errs = append(errs, errors.New("renew check interval and DNS propagation timeout must not be negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("acme config: %w", err)
	}
	return nil
}
