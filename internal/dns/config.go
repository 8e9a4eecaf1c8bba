package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/zone"
)

// Config configures the server. Every zero value has a documented default.
type Config struct {
	// Addr is the UDP and TCP listen address; "" means 127.0.0.1:8600 (the
	// -dev default). Production uses ":53". Port 0 picks a free port.
	Addr string
	// Domain is the service-discovery domain; "" means "consul.".
	Domain string
	// AltDomains answer the same names as Domain (e.g. "orbit.").
	AltDomains []string
	// Datacenter is this agent's datacenter; "" means "dc1".
	Datacenter string
	// AllowWarning includes instances whose health is warning; by default
	// only passing instances are answered.
	AllowWarning bool
	// ServiceTTL, NodeTTL and RouterTTL are the TTLs of service, node and
	// router-host answers; zero means 0s (as in Consul: always fresh).
	ServiceTTL, NodeTTL, RouterTTL time.Duration
	// NegativeTTL is the SOA minimum of negative answers in the consul
	// domain; zero means 0s.
	NegativeTTL time.Duration
	// UDPSize is the largest UDP answer offered to EDNS0 clients; 0 means
	// 1232 (the DNS flag day 2020 value). Clients without EDNS0 get 512.
	UDPSize int
	// UDPListeners is the number of UDP sockets bound to Addr with
	// SO_REUSEPORT so the kernel spreads queries over cores; 0 means 2.
	UDPListeners int
	// Upstreams are the resolvers ("ip" or "ip:port") that other names are
	// forwarded to; empty reads the nameservers of ResolvConf.
	Upstreams []string
	// ResolvConf is read for upstreams when Upstreams is empty; "" means
	// /etc/resolv.conf. Set NoForward to answer REFUSED instead.
	ResolvConf string
	NoForward  bool
	// ForwardTimeout bounds one upstream exchange; 0 means 2s.
	ForwardTimeout time.Duration
	// CacheSize is the number of forwarded answers cached; 0 means 10000,
	// negative disables the cache.
	CacheSize int
	// MaxCacheTTL caps cached TTLs; 0 means 1h.
	MaxCacheTTL time.Duration
	// AllowTransfer lists addresses or CIDR prefixes allowed to AXFR every
	// zone, beside each zone's AlsoNotify and AllowTransfer.
	AllowTransfer []string
}

func (c *Config) setDefaults() {
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8600"
	}
	if c.Domain == "" {
		c.Domain = "consul."
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.UDPSize == 0 {
		c.UDPSize = 1232
	}
	if c.UDPListeners == 0 {
		c.UDPListeners = 2
	}
	if c.ForwardTimeout == 0 {
		c.ForwardTimeout = 2 * time.Second
	}
	if c.CacheSize == 0 {
		c.CacheSize = 10000
	}
	if c.MaxCacheTTL == 0 {
		c.MaxCacheTTL = time.Hour
	}
	if c.ResolvConf == "" {
		c.ResolvConf = "/etc/resolv.conf"
	}
}

// Validate checks the configuration after applying defaults; it
// canonicalises domains.
func (c *Config) Validate() error {
	c.setDefaults()
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("dns address %q: %w", c.Addr, err)
	}
	var err error
	if c.Domain, err = zone.Canonical(c.Domain); err != nil {
		return fmt.Errorf("dns domain: %w", err)
	}
	for i, d := range c.AltDomains {
		if c.AltDomains[i], err = zone.Canonical(d); err != nil {
			return fmt.Errorf("dns alt domain: %w", err)
		}
	}
	c.Datacenter = strings.ToLower(c.Datacenter)
	if strings.Contains(c.Datacenter, ".") {
		return errors.New("datacenter name must be one DNS label")
	}
	if c.UDPSize < 512 || c.UDPSize > 65535 {
		return fmt.Errorf("dns udp size %d out of range 512-65535", c.UDPSize)
	}
	if c.UDPListeners < 1 || c.UDPListeners > 64 {
		return fmt.Errorf("dns udp listeners %d out of range 1-64", c.UDPListeners)
	}
	for _, u := range c.Upstreams {
		if _, err := zone.NotifyTarget(u); err != nil {
			return fmt.Errorf("dns upstream: %w", err)
		}
	}
	for _, a := range c.AllowTransfer {
		if _, err := zone.ParsePrefix(a); err != nil {
			return fmt.Errorf("dns allow-transfer: %w", err)
		}
	}
	return nil
}

func ttl(d time.Duration) uint32 { return uint32(d / time.Second) }

// upstreamAddrs parses the configured upstreams as ip:port.
func parseUpstreams(list []string) []netip.AddrPort {
	var out []netip.AddrPort
	for _, u := range list {
		if ap, err := zone.NotifyTarget(u); err == nil {
			out = append(out, ap)
		}
	}
	return out
}
