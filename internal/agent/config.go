package agent

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/aclresolve"
	"github.com/orbit/orbit/internal/anomaly"
	"github.com/orbit/orbit/internal/external"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/metrics/tsdb"
	"github.com/orbit/orbit/internal/snapshot"
)

// Config is the agent's configuration. The zero value of each field is
// documented; Defaults fills them in.
type Config struct {
	// Dev runs every role on one node with state in a temporary directory
	// (unless DataDir is set) and loopback defaults.
	Dev bool `hcl:"dev,optional"`
	// DataDir holds the embedded store and the node id. Required unless Dev.
	DataDir string `hcl:"data_dir,optional"`
	// NodeName defaults to the host name.
	NodeName string `hcl:"node_name,optional"`
	// NodeID is the node's UUID (Consul's node_id); default: the one kept in
	// the data dir, generated at the first start.
	NodeID string `hcl:"node_id,optional"`
	// NodeMeta is metadata for the node's catalog entry (Consul's node_meta).
	NodeMeta map[string]string `hcl:"node_meta,optional"`
	// Datacenter defaults to "dc1".
	Datacenter string `hcl:"datacenter,optional"`
	// HTTPAddr is the API listen address; default 127.0.0.1:8500.
	HTTPAddr string `hcl:"http_addr,optional"`
	// BindAddr is the address registered for this node; default: 127.0.0.1
	// in dev, else the host's first non-loopback IPv4 address.
	BindAddr string `hcl:"bind_addr,optional"`
	// Store lists external etcd endpoints ("etcd://a:2379,b:2379"); empty
	// runs an embedded member.
	Store string `hcl:"store,optional"`
	// Servers are the HTTP API addresses of server agents to join as a
	// client: the agent asks them for the store's endpoints.
	Servers string `hcl:"servers,optional"`
	// StoreClientAddr and StorePeerAddr are the embedded member's listen
	// addresses; empty picks free loopback ports (kept across restarts).
	StoreClientAddr string `hcl:"store_client_addr,optional"`
	StorePeerAddr   string `hcl:"store_peer_addr,optional"`
	// RetryJoin are the HTTP API addresses of existing servers: a new
	// server asks them, in order and until one accepts, to add its store
	// member to their etcd cluster (Consul's -retry-join). A server with
	// a store already in its data dir rejoins without asking. With
	// RetryJoin or BootstrapExpect > 1 the store addresses default to
	// BIND:8301 (clients) and BIND:8300 (peers).
	RetryJoin string `hcl:"retry_join,optional"`
	// JoinToken is a join token's secret (`orbit operator join-token
	// create`) a -retry-join presents instead of an ACL token with
	// operator:write.
	JoinToken string `hcl:"join_token,optional"`
	// BootstrapExpect is the number of servers the cluster is meant to
	// have (Consul's -bootstrap-expect). The server started without
	// RetryJoin forms the cluster; the others join it.
	BootstrapExpect int `hcl:"bootstrap_expect,optional"`
	// LeaseTTL bounds how long a dead agent's node stays alive; default 10s.
	LeaseTTL string `hcl:"lease_ttl,optional"`
	// SessionTTLMin is the shortest session TTL accepted (Consul's
	// session_ttl_min); default 10s, at least 1s (etcd leases count seconds).
	SessionTTLMin string `hcl:"session_ttl_min,optional"`
	// Roles: Server holds state; Client runs workloads and checks; Edge
	// serves DNS and the load balancer. Dev turns all on. Without Dev and
	// without any role set, all three are on.
	Server bool `hcl:"server,optional"`
	Client bool `hcl:"client,optional"`
	Edge   bool `hcl:"edge,optional"`
	// ClientCfg is the file's client block (Nomad's): enabled and the
	// node's host networks (see ClientBlock).
	ClientCfg *ClientBlock `hcl:"client,block"`
	// EnableScriptChecks allows checks that run commands; off by default.
	EnableScriptChecks bool `hcl:"enable_script_checks,optional"`
	// EnableDebug serves Go's profiler under /debug/pprof/ on the API
	// listener, as Consul's enable_debug.
	EnableDebug bool `hcl:"enable_debug,optional"`
	// LogLevel is debug, info, warn or error; default info.
	LogLevel string `hcl:"log_level,optional"`
	// LogJSON writes logs as JSON lines.
	LogJSON bool `hcl:"log_json,optional"`
	// DNSAddr is the DNS listen address; default :53, 127.0.0.1:8600 in dev;
	// "off" disables DNS.
	DNSAddr string `hcl:"dns_addr,optional"`
	// EntryPoints of the edge: name → address; defaults web=:80,
	// websecure=:443 (dev: 127.0.0.1:8080 and :8443).
	EntryPoints map[string]string `hcl:"entrypoints,optional"`
	// ExposedByDefault routes services without traefik.enable=true.
	ExposedByDefault bool `hcl:"exposed_by_default,optional"`
	// Policy is how submitted jobs are checked against the standards.
	Policy *PolicyConfig `hcl:"policy,block"`
	// DNS tunes the DNS server (domains, TTLs per kind, upstreams, transfers).
	DNS *DNSConfig `hcl:"dns,block"`
	// EdgeCfg tunes the edge load balancer (certificates, panic threshold,
	// access log, balancing strategy).
	EdgeCfg *EdgeConfig `hcl:"edge_config,block"`
	// Snapshot schedules a server's snapshots of the store (every 12h,
	// keeping 5, in DATA_DIR/snapshots unless set otherwise).
	Snapshot *SnapshotConfig `hcl:"snapshot,block"`
	// Metrics sizes the per-second metrics' tiers (`metrics { ... }`).
	Metrics *MetricsConfig `hcl:"metrics,block"`
	// Audit is the audit log of writes and denials (default off).
	Audit *AuditConfig `hcl:"audit,block"`
	// Alerts sets the critical alerts' webhooks and timings.
	Alerts *AlertsConfig `hcl:"alerts,block"`
	// NomadAddr also serves the Nomad-compatible API on this address
	// (default off; Nomad's port is 4646).
	NomadAddr string `hcl:"nomad_addr,optional"`
	// ACL configures access control with Consul's names (see ACLConfig).
	ACL *ACLConfig `hcl:"acl,block"`
	// TLS serves the API and the store over TLS and makes the agent's
	// connections use it, with Consul's names (see TLSConfig).
	TLS *TLSConfig `hcl:"tls,block"`
	// External declares hosts that run no agent and their services; the
	// cluster health-checks them (see internal/external).
	External []external.Declared `hcl:"external,block"`
	// Authorizer, when set, decides every request on every listener (the
	// API, the Nomad API, and what they mount) instead of the ACL system;
	// nil uses the ACL system when ACLs are on and allows everything when
	// they are off.
	Authorizer acl.Authorizer

	leaseTTL      time.Duration
	sessionTTLMin time.Duration
	aclEnabled    bool                       // from ACL and Dev by Defaults
	tls           tlsSettings                // from TLS by Defaults
	resolver      aclresolve.Config          // from ACL by Defaults
	metrics       tsdb.Config                // from Metrics, by Defaults
	ml            anomaly.Config             // from Metrics.ML, by Defaults
	snapshots     *snapshot.Config           // nil: no scheduled snapshots
	hostNetworks  map[string]job.HostNetwork // from ClientCfg, by Defaults
	admitter      *admitter                  // built from Policy by Defaults
	set           map[string]bool            // flags given on the command line
}

// ParseFlags reads the agent's flags (-x and --x) from args, and the HCL file
// named by -config underneath them: flags override the file.
func ParseFlags(args []string, fs *flag.FlagSet) (*Config, error) {
	var c Config
	var configFile, entry string
	fs.StringVar(&configFile, "config", "", "HCL agent configuration `file` (flags override it)")
	fs.BoolVar(&c.Dev, "dev", false, "development mode: all roles on one node, state in a temporary directory")
	fs.StringVar(&c.DataDir, "data-dir", "", "data `directory` (state survives restarts)")
	fs.StringVar(&c.NodeName, "node", "", "node `name` (default: host name)")
	fs.StringVar(&c.NodeID, "node-id", "", "node `uuid` (default: kept in the data dir, generated at the first start)")
	fs.Func("node-meta", "node metadata `key:value` (repeatable)", func(v string) error {
		k, val, ok := strings.Cut(v, ":")
		if !ok || k == "" {
			return fmt.Errorf("want key:value, got %q", v)
		}
		if c.NodeMeta == nil {
			c.NodeMeta = map[string]string{}
		}
		c.NodeMeta[k] = val
		return nil
	})
	fs.StringVar(&c.Datacenter, "datacenter", "", "datacenter `name` (default dc1)")
	fs.StringVar(&c.HTTPAddr, "http-addr", "", "HTTP API listen `address` (default 127.0.0.1:8500)")
	fs.StringVar(&c.BindAddr, "bind", "", "`address` registered for this node")
	fs.StringVar(&c.Store, "store", "", "external etcd `endpoints`: etcd://host:port,host:port (default: embedded)")
	fs.StringVar(&c.Servers, "servers", "", "join server agents at these API `addresses` (host:port,...) as a client")
	fs.StringVar(&c.StoreClientAddr, "store-client-addr", "", "embedded etcd client listen `address` (default BIND:8301 with several servers)")
	fs.StringVar(&c.StorePeerAddr, "store-peer-addr", "", "embedded etcd peer listen `address` (default BIND:8300 with several servers)")
	fs.StringVar(&c.RetryJoin, "retry-join", "", "join the store of the servers at these API `addresses` (host:port,...) as a server")
	fs.StringVar(&c.JoinToken, "join-token", "", "join `token` a -retry-join (and a node-certificate request) presents instead of an ACL token")
	fs.IntVar(&c.BootstrapExpect, "bootstrap-expect", 0, "`number` of servers the cluster is meant to have")
	fs.StringVar(&c.LeaseTTL, "lease-ttl", "", "node liveness lease `duration` (default 10s)")
	fs.BoolVar(&c.Server, "server", false, "run the server role")
	fs.BoolVar(&c.Client, "client", false, "run the client role")
	fs.BoolVar(&c.Edge, "edge", false, "run the edge role (DNS, load balancer)")
	fs.BoolVar(&c.EnableScriptChecks, "enable-script-checks", false, "allow checks that run commands")
	fs.BoolVar(&c.EnableDebug, "enable-debug", false, "serve Go's profiler under /debug/pprof/")
	fs.StringVar(&c.LogLevel, "log-level", "", "log `level`: debug, info, warn, error (default info)")
	fs.BoolVar(&c.LogJSON, "log-json", false, "log JSON lines")
	fs.StringVar(&c.DNSAddr, "dns-addr", "", "DNS listen `address` (default :53; dev 127.0.0.1:8600; off disables)")
	fs.Func("entrypoint", "edge entry point `NAME=ADDR` (repeatable, or comma-separated)", func(v string) error {
		if entry != "" {
			entry += ","
		}
		entry += v
		return nil
	})
	fs.BoolVar(&c.ExposedByDefault, "exposed-by-default", false, "route services without traefik.enable=true")
	fs.StringVar(&c.NomadAddr, "nomad-addr", "", "also serve the Nomad-compatible API on this `address` (e.g. 127.0.0.1:4646)")
	var tlsFlags TLSDefaults
	fs.StringVar(&tlsFlags.CAFile, "ca-file", "", "PEM CA `file` agents' certificates are checked against (tls defaults ca_file)")
	fs.StringVar(&tlsFlags.CertFile, "cert-file", "", "PEM certificate `file`: serve the API and store over TLS (tls defaults cert_file)")
	fs.StringVar(&tlsFlags.KeyFile, "key-file", "", "PEM key `file` of -cert-file (tls defaults key_file)")
	var enforce, policyFile string
	fs.StringVar(&enforce, "policy-enforce", "", "standards policy at job submission: off, warn (default) or strict")
	fs.StringVar(&policyFile, "policy-file", "", "HCL policy `file` (rules and severities)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if tlsFlags != (TLSDefaults{}) {
		c.TLS = &TLSConfig{Defaults: &tlsFlags}
	}
	if enforce != "" || policyFile != "" {
		c.Policy = &PolicyConfig{Enforce: enforce, File: policyFile}
	}
	if entry != "" {
		c.EntryPoints = map[string]string{}
		for _, e := range strings.Split(entry, ",") {
			name, addr, ok := strings.Cut(e, "=")
			if !ok || name == "" || addr == "" {
				return nil, fmt.Errorf("invalid -entrypoint %q: want NAME=ADDR", e)
			}
			c.EntryPoints[name] = addr
		}
		c.set["entrypoints"] = true
	}
	if configFile != "" {
		var file Config
		if err := LoadFile(configFile, &file); err != nil {
			return nil, err
		}
		c = merge(file, c)
	}
	return &c, nil
}

// LoadFile decodes an HCL agent configuration file.
func LoadFile(path string, into *Config) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	f, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return fmt.Errorf("config %w", diagError(diags))
	}
	if diags := gohcl.DecodeBody(f.Body, nil, into); diags.HasErrors() {
		return fmt.Errorf("config %w", diagError(diags))
	}
	return nil
}

func diagError(diags hcl.Diagnostics) error {
	var msgs []string
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		pos := ""
		if d.Subject != nil {
			pos = fmt.Sprintf("%s:%d:%d: ", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		msgs = append(msgs, pos+d.Summary+detail(d.Detail))
	}
	return errors.New(strings.Join(msgs, "; "))
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + s
}

// merge lays the command line's flags over the file's values.
func merge(file, flags Config) Config {
	out := file
	s := flags.set
	pick := func(name string, dst *string, v string) {
		if s[name] {
			*dst = v
		}
	}
	pickB := func(name string, dst *bool, v bool) {
		if s[name] {
			*dst = v
		}
	}
	pickB("dev", &out.Dev, flags.Dev)
	pick("data-dir", &out.DataDir, flags.DataDir)
	pick("node", &out.NodeName, flags.NodeName)
	pick("node-id", &out.NodeID, flags.NodeID)
	if s["node-meta"] {
		if out.NodeMeta == nil {
			out.NodeMeta = map[string]string{}
		}
		for k, v := range flags.NodeMeta {
			out.NodeMeta[k] = v
		}
	}
	pick("datacenter", &out.Datacenter, flags.Datacenter)
	pick("http-addr", &out.HTTPAddr, flags.HTTPAddr)
	pick("bind", &out.BindAddr, flags.BindAddr)
	pick("store", &out.Store, flags.Store)
	pick("servers", &out.Servers, flags.Servers)
	pick("store-client-addr", &out.StoreClientAddr, flags.StoreClientAddr)
	pick("store-peer-addr", &out.StorePeerAddr, flags.StorePeerAddr)
	pick("retry-join", &out.RetryJoin, flags.RetryJoin)
	pick("join-token", &out.JoinToken, flags.JoinToken)
	if s["bootstrap-expect"] {
		out.BootstrapExpect = flags.BootstrapExpect
	}
	pick("lease-ttl", &out.LeaseTTL, flags.LeaseTTL)
	pickB("server", &out.Server, flags.Server)
	pickB("client", &out.Client, flags.Client)
	pickB("edge", &out.Edge, flags.Edge)
	pickB("enable-script-checks", &out.EnableScriptChecks, flags.EnableScriptChecks)
	pickB("enable-debug", &out.EnableDebug, flags.EnableDebug)
	pick("log-level", &out.LogLevel, flags.LogLevel)
	pickB("log-json", &out.LogJSON, flags.LogJSON)
	pick("dns-addr", &out.DNSAddr, flags.DNSAddr)
	if s["entrypoints"] {
		out.EntryPoints = flags.EntryPoints
	}
	pickB("exposed-by-default", &out.ExposedByDefault, flags.ExposedByDefault)
	pick("nomad-addr", &out.NomadAddr, flags.NomadAddr)
	if flags.Policy != nil {
		if out.Policy == nil {
			out.Policy = &PolicyConfig{}
		}
		if flags.Policy.Enforce != "" {
			out.Policy.Enforce = flags.Policy.Enforce
		}
		if flags.Policy.File != "" {
			out.Policy.File = flags.Policy.File
		}
	}
	if flags.TLS != nil {
		out.TLS = mergeTLS(out.TLS, *flags.TLS.Defaults)
	}
	out.set = s
	return out
}

// mergeTLS lays the -ca-file, -cert-file and -key-file flags over the
// file's tls block.
func mergeTLS(file *TLSConfig, flags TLSDefaults) *TLSConfig {
	out := TLSConfig{}
	if file != nil {
		out = *file
	}
	d := TLSDefaults{}
	if out.Defaults != nil {
		d = *out.Defaults
	}
	for _, f := range []struct {
		dst *string
		v   string
	}{{&d.CAFile, flags.CAFile}, {&d.CertFile, flags.CertFile}, {&d.KeyFile, flags.KeyFile}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	out.Defaults = &d
	return &out
}

// Defaults fills zero fields and validates the result.
func (c *Config) Defaults() error {
	if c.ClientCfg != nil && c.ClientCfg.Enabled != nil && !c.set["client"] {
		c.Client = *c.ClientCfg.Enabled
	}
	hns, err := c.ClientCfg.hostNetworks()
	if err != nil {
		return err
	}
	c.hostNetworks = hns
	switch {
	case c.Servers != "":
		if !c.Client && !c.Edge {
			c.Client, c.Edge = true, c.Dev
		}
	case c.Dev, !c.Server && !c.Client && !c.Edge:
		c.Server, c.Client, c.Edge = true, true, true
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.NodeName == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "orbit"
		}
		c.NodeName = h
	}
	if c.NodeID != "" && !validUUID(c.NodeID) {
		return fmt.Errorf("-node-id %q is not a UUID (8-4-4-4-12 hex digits)", c.NodeID)
	}
	if c.HTTPAddr == "" {
		c.HTTPAddr = "127.0.0.1:8500"
	}
	if c.BindAddr == "" {
		c.BindAddr = "127.0.0.1"
		if !c.Dev {
			c.BindAddr = firstIPv4()
		}
	}
	if net.ParseIP(c.BindAddr) == nil {
		return fmt.Errorf("-bind %q is not an IP address", c.BindAddr)
	}
	if c.DNSAddr == "" {
		c.DNSAddr = ":53"
		if c.Dev {
			c.DNSAddr = "127.0.0.1:8600"
		}
	}
	if c.EntryPoints == nil {
		c.EntryPoints = map[string]string{"web": ":80", "websecure": ":443"}
		if c.Dev {
			c.EntryPoints = map[string]string{"web": "127.0.0.1:8080", "websecure": "127.0.0.1:8443"}
		}
	}
	c.leaseTTL = 10 * time.Second
	if c.LeaseTTL != "" {
		d, err := time.ParseDuration(c.LeaseTTL)
		if err != nil || d < time.Second {
			return fmt.Errorf("-lease-ttl %q: want a duration of at least 1s", c.LeaseTTL)
		}
		c.leaseTTL = d
	}
	c.sessionTTLMin = 0
	if c.SessionTTLMin != "" {
		d, err := time.ParseDuration(c.SessionTTLMin)
		if err != nil || d < time.Second {
			return fmt.Errorf("session_ttl_min %q: want a duration of at least 1s", c.SessionTTLMin)
		}
		c.sessionTTLMin = d
	}
	ms, ml, err := c.Metrics.storage()
	if err != nil {
		return err
	}
	ms.Defaults()
	if err := ms.Validate(); err != nil {
		return fmt.Errorf("metrics block: %w", err)
	}
	c.metrics, c.ml = ms, ml
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("-log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.Servers != "" && c.Store != "" {
		return errors.New("-servers and -store both choose the store: give one")
	}
	if c.Servers != "" && c.Server {
		return errors.New("-servers joins as a client; a further server joins with -retry-join: drop -server or use -retry-join")
	}
	if err := c.serversDefaults(); err != nil {
		return err
	}
	if err := c.aclDefaults(); err != nil {
		return err
	}
	if err := c.tlsDefaults(); err != nil {
		return err
	}
	if err := c.snapshotDefaults(); err != nil {
		return err
	}
	if _, _, err := c.Audit.auditConfig(c.DataDir); err != nil {
		return err
	}
	if _, err := c.Alerts.alertConfig(); err != nil {
		return err
	}
	if c.Policy == nil {
		c.Policy = &PolicyConfig{}
	}
	adm, err := newAdmitter(*c.Policy)
	if err != nil {
		return err
	}
	c.admitter = adm
	if c.DataDir == "" && !c.Dev {
		return errors.New("-data-dir is required (or run with -dev for a temporary one)")
	}
	return nil
}

// serversDefaults checks the flags of a cluster of several servers and
// gives its store fixed, reachable addresses.
func (c *Config) serversDefaults() error {
	if c.BootstrapExpect < 0 {
		return fmt.Errorf("-bootstrap-expect %d: want the number of servers (1, 3 or 5)", c.BootstrapExpect)
	}
	if c.RetryJoin == "" && c.BootstrapExpect <= 1 {
		return nil
	}
	switch {
	case !c.Server:
		return errors.New("-retry-join and -bootstrap-expect are for servers; a client joins with -servers")
	case c.Store != "":
		return errors.New("-retry-join and -bootstrap-expect need the embedded store; drop -store")
	case c.Dev:
		return errors.New("-retry-join and -bootstrap-expect need a -data-dir that survives restarts; drop -dev")
	}
	if c.StorePeerAddr == "" {
		c.StorePeerAddr = net.JoinHostPort(c.BindAddr, "8300")
	}
	if c.StoreClientAddr == "" {
		c.StoreClientAddr = net.JoinHostPort(c.BindAddr, "8301")
	}
	return nil
}

// snapshotDefaults schedules a server's snapshots: on by default except in
// dev mode (whose data dir is temporary) unless a snapshot block asks.
func (c *Config) snapshotDefaults() error {
	c.snapshots = nil
	sc := c.Snapshot
	if !c.Server || (sc == nil && c.Dev) {
		return nil
	}
	if sc == nil {
		sc = &SnapshotConfig{}
	}
	if sc.Interval == "off" {
		return nil
	}
	cfg := snapshot.Config{Dir: sc.Dir, Retain: sc.Retain}
	if sc.Interval != "" {
		d, err := time.ParseDuration(sc.Interval)
		if err != nil {
			return fmt.Errorf("snapshot interval %q: want a duration such as \"12h\", or \"off\"", sc.Interval)
		}
		cfg.Interval = d
	}
	if cfg.Dir == "" {
		cfg.Dir = "snapshots" // under the data dir, resolved when it is known
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	c.snapshots = &cfg
	return nil
}

func firstIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	return "127.0.0.1"
}

// validUUID reports whether s is 8-4-4-4-12 hex digits, as Consul's node_id.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}
