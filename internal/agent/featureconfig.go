package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/metrics/tsdb"
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
	// Resolvers are certificate resolvers by name, as Traefik's
	// certificatesResolvers: routers pick one with tls.certresolver.
	Resolvers []ResolverConfig `hcl:"certificate_resolver,block"`
	// EntryPoints set per-entry-point behaviour (redirect, HSTS).
	EntryPoints []EntryPointConfig `hcl:"entrypoint,block"`
}

// ResolverConfig is `certificate_resolver "NAME" { acme { ... } }`.
type ResolverConfig struct {
	Name string      `hcl:"name,label"`
	ACME *ACMEConfig `hcl:"acme,block"`
}

// ACMEConfig is a resolver's ACME account and challenge.
type ACMEConfig struct {
	// Email is the account's contact.
	Email string `hcl:"email,optional"`
	// CAServer is the directory URL (default Let's Encrypt's production).
	CAServer string `hcl:"ca_server,optional"`
	// CARoot is a PEM file of roots to trust for CAServer's HTTPS.
	CARoot string `hcl:"ca_root,optional"`
	// Challenge is http-01 (default), tls-alpn-01 or dns-01.
	Challenge string `hcl:"challenge,optional"`
	// KeyType is ec256 (default), ec384, rsa2048, rsa4096 or ed25519.
	KeyType string `hcl:"key_type,optional"`
}

// EntryPointConfig is `entrypoint "NAME" { ... }` in edge_config.
type EntryPointConfig struct {
	Name string `hcl:"name,label"`
	// RedirectTo redirects every request on this (plain) entry point to
	// https on the named TLS entry point, except ACME challenges.
	RedirectTo string `hcl:"redirect_to,optional"`
	// HSTS is a duration ("8760h"): a TLS entry point's answers carry
	// Strict-Transport-Security with that max-age.
	HSTS string `hcl:"hsts,optional"`
}

// SnapshotConfig is the agent config's `snapshot { ... }` block: the
// scheduled snapshots a server keeps of the store.
type SnapshotConfig struct {
	// Interval between snapshots ("12h", the default); "off" disables them.
	Interval string `hcl:"interval,optional"`
	// Retain is how many snapshot files to keep (default 5).
	Retain int `hcl:"retain,optional"`
	// Dir holds them (default DATA_DIR/snapshots).
	Dir string `hcl:"dir,optional"`
}

// MetricsConfig is the agent config's `metrics { ... }` block: how long
// each tier of the per-second metrics is kept in memory.
type MetricsConfig struct {
	// PerSecond, PerMinute and PerHour are durations ("1h", "24h", "720h").
	PerSecond string `hcl:"per_second,optional"`
	PerMinute string `hcl:"per_minute,optional"`
	PerHour   string `hcl:"per_hour,optional"`
	// ML tunes anomaly detection (`ml { training_window = "6h" }`).
	ML *anomaly.Block `hcl:"ml,block"`
	// Parent is the API address of the agent to stream samples to;
	// default: the first of -servers on a client agent, none otherwise;
	// "off" streams nowhere.
	Parent string `hcl:"parent,optional"`
}

// parent is where this agent streams its metrics ("" for nowhere).
func (m *MetricsConfig) parent(servers string) string {
	if m != nil && m.Parent == "off" {
		return ""
	}
	if m != nil && m.Parent != "" {
		return m.Parent
	}
	first, _, _ := strings.Cut(servers, ",")
	return strings.TrimSpace(first)
}

// storage parses the retention settings into the store's configuration
// and the ml block into anomaly detection's.
func (m *MetricsConfig) storage() (tsdb.Config, anomaly.Config, error) {
	var c tsdb.Config
	if m == nil {
		ml, err := (*anomaly.Block)(nil).Config()
		return c, ml, err
	}
	for _, t := range []struct {
		name, v string
		dst     *time.Duration
	}{{"per_second", m.PerSecond, &c.Seconds}, {"per_minute", m.PerMinute, &c.Minutes}, {"per_hour", m.PerHour, &c.Hours}} {
		if t.v == "" {
			continue
		}
		d, err := time.ParseDuration(t.v)
		if err != nil || d <= 0 {
			return c, anomaly.Config{}, fmt.Errorf("metrics %s %q: want a duration such as \"1h\"", t.name, t.v)
		}
		*t.dst = d
	}
	ml, err := m.ML.Config()
	if err != nil {
		return c, ml, fmt.Errorf("metrics: %w", err)
	}
	return c, ml, nil
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
