package agent

import (
	"fmt"
	"time"
)

// DNSConfig is the agent config's `dns { ... }` block.
type DNSConfig struct {
	// Domain is the service-discovery domain (default "consul").
	Domain string `hcl:"domain,optional"`
	// AltDomains answer the same names (e.g. ["orbit"]).
	AltDomains []string `hcl:"alt_domains,optional"`
	// AllowWarning answers warning instances too (default: passing only).
	AllowWarning bool `hcl:"allow_warning,optional"`
	// ServiceTTL, NodeTTL, RouterTTL and NegativeTTL are durations ("30s").
	ServiceTTL  string `hcl:"service_ttl,optional"`
	NodeTTL     string `hcl:"node_ttl,optional"`
	RouterTTL   string `hcl:"router_ttl,optional"`
	NegativeTTL string `hcl:"negative_ttl,optional"`
	// Upstreams for forwarding ("ip" or "ip:port"); default /etc/resolv.conf.
	Upstreams []string `hcl:"upstreams,optional"`
	// NoForward answers REFUSED for names orbit does not serve.
	NoForward bool `hcl:"no_forward,optional"`
	// AllowTransfer lists addresses or CIDRs allowed to AXFR every zone.
	AllowTransfer []string `hcl:"allow_transfer,optional"`
}

// EdgeConfig is the agent config's `edge_config { ... }` block.
type EdgeConfig struct {
	// Certificates served by SNI before issued ones.
	Certificates []CertConfig `hcl:"certificate,block"`
	// PanicThreshold in (0, 1]: below that share of passing instances, route
	// to all of them (default 0: answer 503 when none passes).
	PanicThreshold float64 `hcl:"panic_threshold,optional"`
	// AccessLog writes one JSON line per request to the agent's stderr.
	AccessLog bool `hcl:"access_log,optional"`
	// Strategy is p2c (default) or wrr.
	Strategy string `hcl:"strategy,optional"`
}

// CertConfig names a certificate and its key.
type CertConfig struct {
	CertFile string `hcl:"cert_file"`
	KeyFile  string `hcl:"key_file"`
}

func parseTTL(name, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("dns %s %q: want a duration such as \"30s\"", name, v)
	}
	return d, nil
}

// AuditConfig is the agent config's `audit { ... }` block: the audit log
// of every write and every denied request on every HTTP listener.
type AuditConfig struct {
	// Enabled turns the audit log on (default off).
	Enabled bool `hcl:"enabled,optional"`
	// Path is the log file; default audit/audit.log in the data directory.
	Path string `hcl:"path,optional"`
	// MaxSizeMB is the size in MiB a file reaches before rotation
	// (default 64).
	MaxSizeMB int `hcl:"max_size_mb,optional"`
	// MaxFiles is how many files are kept, the current one included
	// (default 5).
	MaxFiles int `hcl:"max_files,optional"`
}
