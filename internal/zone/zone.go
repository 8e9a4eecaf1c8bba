package zone

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Sentinel errors. The HTTP API maps ErrInvalid to 400, ErrNotFound to 404
// and ErrExists to 409.
var (
	ErrInvalid  = errors.New("invalid")
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Zone is an authoritative zone's settings. Records live in RRSets beside it.
type Zone struct {
	// Name is the zone apex, lower case and fully qualified ("lab.example.").
	Name string `json:"Name"`
	// Serial is the SOA serial; every change bumps it (see NextSerial).
	Serial uint32 `json:"Serial"`
	// TTL is the SOA record's TTL and the default TTL of new record sets.
	TTL uint32 `json:"TTL"`
	// PrimaryNS (SOA MNAME) and Hostmaster (SOA RNAME, as a domain name).
	PrimaryNS  string `json:"PrimaryNS"`
	Hostmaster string `json:"Hostmaster"`
	// SOA timers, in seconds. Minimum is the negative-caching TTL (RFC 2308).
	Refresh uint32 `json:"Refresh"`
	Retry   uint32 `json:"Retry"`
	Expire  uint32 `json:"Expire"`
	Minimum uint32 `json:"Minimum"`
	// AlsoNotify lists secondaries ("ip:port", port 53 when omitted) sent a
	// NOTIFY after every change; they may also transfer the zone.
	AlsoNotify []string `json:"AlsoNotify,omitempty"`
	// AllowTransfer lists further addresses or CIDR prefixes allowed AXFR.
	AllowTransfer []string `json:"AllowTransfer,omitempty"`
	// TSIGKeys, when set, must sign every transfer (AXFR, IXFR) of the
	// zone, beside the address lists; NOTIFYs are signed with the first.
	TSIGKeys []TSIGKey `json:"TSIGKeys,omitempty"`
	// DNSSEC, when set, signs the zone's answers online (see DNSSEC).
	DNSSEC *DNSSEC `json:"DNSSEC,omitempty"`
}

// Defaults for the SOA fields left zero.
const (
	DefaultTTL     = 3600
	DefaultRefresh = 3600
	DefaultRetry   = 600
	DefaultExpire  = 1209600
	DefaultMinimum = 60
)

// SetDefaults fills the zero SOA fields of z (Name must be canonical).
func (z *Zone) SetDefaults() {
	if z.TTL == 0 {
		z.TTL = DefaultTTL
	}
	if z.PrimaryNS == "" {
		z.PrimaryNS = "ns1." + z.Name
	}
	if z.Hostmaster == "" {
		z.Hostmaster = "hostmaster." + z.Name
	}
	if z.Refresh == 0 {
		z.Refresh = DefaultRefresh
	}
	if z.Retry == 0 {
		z.Retry = DefaultRetry
	}
	if z.Expire == 0 {
		z.Expire = DefaultExpire
	}
	if z.Minimum == 0 {
		z.Minimum = DefaultMinimum
	}
}

// Validate checks a zone's settings; it canonicalises its names.
func (z *Zone) Validate() error {
	name, err := Canonical(z.Name)
	if err != nil {
		return fmt.Errorf("zone name: %w", err)
	}
	if name == "." {
		return fmt.Errorf("%w: the root zone cannot be served", ErrInvalid)
	}
	z.Name = name
	if z.PrimaryNS, err = Canonical(z.PrimaryNS); err != nil {
		return fmt.Errorf("zone %s: primary NS: %w", name, err)
	}
	if z.Hostmaster, err = Canonical(z.Hostmaster); err != nil {
		return fmt.Errorf("zone %s: hostmaster: %w", name, err)
	}
	for i, a := range z.AlsoNotify {
		ap, err := NotifyTarget(a)
		if err != nil {
			return fmt.Errorf("zone %s: also-notify: %w", name, err)
		}
		z.AlsoNotify[i] = ap.String()
	}
	for _, a := range z.AllowTransfer {
		if _, err := ParsePrefix(a); err != nil {
			return fmt.Errorf("zone %s: allow-transfer: %w", name, err)
		}
	}
	if err := validateKeys(z.TSIGKeys); err != nil {
		return fmt.Errorf("zone %s: %w", name, err)
	}
	if z.DNSSEC != nil {
		if err := z.DNSSEC.Validate(name); err != nil {
			return fmt.Errorf("zone %s: %w", name, err)
		}
	}
	return nil
}

// SOA is the zone's SOA record.
func (z *Zone) SOA() *dns.SOA {
	return &dns.SOA{
		Hdr: dns.RR_Header{Name: z.Name, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: z.TTL},
		Ns:  z.PrimaryNS, Mbox: z.Hostmaster, Serial: z.Serial,
		Refresh: z.Refresh, Retry: z.Retry, Expire: z.Expire, Minttl: z.Minimum,
	}
}

// NegativeTTL is the TTL of negative answers: min(SOA TTL, SOA minimum).
func (z *Zone) NegativeTTL() uint32 { return min(z.TTL, z.Minimum) }

// NotifyTarget parses "ip" or "ip:port" (port 53 by default).
func NotifyTarget(s string) (netip.AddrPort, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap, nil
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: %q is not an IP address or ip:port", ErrInvalid, s)
	}
	return netip.AddrPortFrom(a, 53), nil
}

// ParsePrefix parses an address or a CIDR prefix.
func ParsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: %q is not an address or CIDR prefix", ErrInvalid, s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NextSerial returns the serial after old, in the YYYYMMDDnn convention:
// today's first serial when old is older, otherwise old+1 (RFC 1982
// arithmetic, so it always increases, wrapping past 2^32 included).
func NextSerial(old uint32, now time.Time) uint32 {
	y, m, d := now.UTC().Date()
	today := uint32(y*1000000 + int(m)*10000 + d*100)
	if int32(today-old) > 0 {
		return today
	}
	return old + 1
}

// Canonical validates a domain name and returns it lower case and fully
// qualified. "/" and backslash escapes are refused: names are key parts.
func Canonical(name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrInvalid)
	}
	if strings.ContainsAny(name, "/\\ \t\r\n\"();@") {
		return "", fmt.Errorf("%w: name %q contains a character not allowed in a DNS name", ErrInvalid, name)
	}
	fq := dns.Fqdn(strings.ToLower(name))
	if fq == "." {
		return fq, nil
	}
	if _, ok := dns.IsDomainName(fq); !ok || strings.Contains(fq, "..") || strings.HasPrefix(fq, ".") {
		return "", fmt.Errorf("%w: %q is not a valid domain name (labels of 1-63 characters, 255 in all)", ErrInvalid, name)
	}
	for _, l := range dns.SplitDomainName(fq) {
		if len(l) > 63 {
			return "", fmt.Errorf("%w: label %q of %q is longer than 63 characters", ErrInvalid, l, name)
		}
	}
	return fq, nil
}

// Owner resolves a record-set owner given relative to zone: "@" or "" is
// the apex, a name ending in "." is absolute, a name ending in the zone's
// name is taken as absolute too, anything else is relative to the zone.
func Owner(name, zoneName string) (string, error) {
	switch {
	case name == "" || name == "@":
		return zoneName, nil
	case strings.HasSuffix(name, "."):
		return Canonical(name)
	}
	lower := strings.ToLower(name)
	apex := strings.TrimSuffix(zoneName, ".")
	if lower == apex || strings.HasSuffix(lower, "."+apex) {
		return Canonical(name)
	}
	return Canonical(name + "." + zoneName)
}

// InZone reports whether name is the apex or below it.
func InZone(name, zoneName string) bool { return dns.IsSubDomain(zoneName, name) }
