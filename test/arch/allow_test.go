package arch_test

// allow is the import allow-list of every package under internal/, keyed by
// its path below internal/ ("driver/docker"). It is exact: a package
// missing here fails, an import not listed fails, and an entry that no
// longer matches the code (a package that is gone, an import no longer
// used) fails too, so the list always says what the code does.
//
// imports are the internal packages the package's own files may import;
// tests are the further ones only its tests (_test.go, in-package or
// external) may import. kind places the package in STYLE.md's picture and
// bounds what may ever be listed (see mayImport): features never import
// each other, plain types import nothing internal, the CLI imports no
// server package.
//
// To add a package or an import, add or extend its entry in the same
// commit; the failure message prints the line to paste.
var allow = map[string]rule{
	// Plain types: validation, no I/O, nothing internal.
	"acl":     {kind: plain},
	"catalog": {kind: plain},
	"job":     {kind: plain},
	"zone":    {kind: plain},
	// Wire shapes shared by a server and the CLI.
	"nomadwire": {kind: wire, imports: list("job"), tests: list("jobspec", "orbittest/fixtures")},

	// State: store is the only door to etcd; view is the typed cache over it.
	"store": {kind: state, imports: list("acl", "catalog", "job", "zone"), tests: list("orbittest")},
	"view":  {kind: state, imports: list("acl", "catalog", "job", "store", "zone"), tests: list("orbittest")},

	// Pure logic: decisions from plain inputs.
	"alert":       {kind: logic},
	"anomaly":     {kind: logic},
	"audit":       {kind: logic, imports: list("catalog", "policy", "report"), tests: list("jobspec", "view")},
	"doctor":      {kind: logic},
	"filter":      {kind: logic},
	"jobspec":     {kind: logic, imports: list("job"), tests: list("orbittest/fixtures")},
	"jobvalidate": {kind: logic, imports: list("job", "jobspec", "policy", "report"), tests: list("orbittest/fixtures", "report/reporttest")},
	"policy": {kind: logic, imports: list("job", "routing"),
		tests: list("audit", "jobspec", "jobvalidate", "orbittest/fixtures", "report", "report/reporttest")},
	// importer maps nginx, Traefik and hosts files into an import plan.
	"importer": {kind: logic, imports: list("catalog", "routing", "zone")},
	"report":   {kind: logic, tests: list("report/reporttest")},
	// metrics/tsdb is the bounded in-memory store of per-second metrics.
	"metrics/tsdb": {kind: logic},
	// metrics/procfs parses /proc, /sys and cgroup files (contents in, values out).
	"metrics/procfs": {kind: logic},
	"routing":        {kind: logic},

	// The HTTP kit every API uses (errors, status table, blocking query,
	// serve-and-drain, authorizer); it maps store's and zone's sentinels.
	"httpkit": {kind: kit, imports: list("acl", "catalog", "store", "zone")},

	// Drivers: the client's task runners, behind the driver interface.
	"driver":         {kind: driver},
	"driver/docker":  {kind: driver, imports: list("driver"), tests: list("driver/docker/dockertest", "driver/drivertest")},
	"driver/exec":    {kind: driver, imports: list("driver"), tests: list("driver/drivertest")},
	"driver/rawexec": {kind: driver, imports: list("driver"), tests: list("driver/drivertest")},

	// Features: each New(cfg, deps) and Run(ctx). Their tests may drive
	// another feature only where listed: the client's run real checks with
	// health, nomadapi's place allocations with the scheduler, dns's set zones
	// up through zoneapi and zoneapi's check its writes in dns's answers.
	// acme's tests run the ACME server's validations against orbit's own DNS.
	"acme": {kind: feature, imports: list("routing", "zone"), tests: list("dns", "orbittest", "store")},
	// aclapi serves /v1/acl/*; its tests enforce with the real resolver.
	"aclapi": {kind: feature, imports: list("acl", "acllogin", "httpkit", "store", "view"), tests: list("aclresolve", "identity", "orbittest")},
	// aclresolve turns a secret into its compiled authorizer (the agent
	// hands it the view and the store's secrets).
	"aclresolve": {kind: feature, imports: list("acl")},
	"acllogin":   {kind: logic, imports: list("acl", "filter")},
	// auditlog writes the audit log httpkit.Serve records into.
	"auditlog": {kind: feature, imports: list("httpkit")},
	"api":      {kind: feature, imports: list("acl", "catalog", "filter", "httpkit", "store", "view")},
	"client":   {kind: feature, imports: list("catalog", "driver", "job", "store", "view"), tests: list("driver/drivertest", "driver/rawexec", "health", "orbittest")},
	"dns":      {kind: feature, imports: list("catalog", "doctor", "routing", "view", "zone"), tests: list("orbittest", "routefeed", "store", "zoneapi")},
	"health":   {kind: feature, imports: list("catalog"), tests: list("orbittest", "store", "view")},
	// connectca serves Consul's Connect CA endpoints from pki's certificates.
	"connectca": {kind: feature, imports: list("acl", "httpkit"), tests: list("orbittest", "pki", "store")},
	// external runs external nodes' checks on their owning agent and applies import plans.
	"external": {kind: feature, imports: list("catalog", "httpkit", "importer", "store"), tests: list("health", "orbittest", "view")},
	"identity": {kind: feature, imports: list("httpkit")},
	// metrics collects the node and the registry every second and answers
	// Netdata's v1 API and Consul's and Nomad's metrics JSON.
	"metrics":  {kind: feature, imports: list("alert", "anomaly", "httpkit", "metrics/procfs", "metrics/tsdb")},
	"operator": {kind: feature, imports: list("acl", "httpkit", "store")},
	"snapshot": {kind: feature, imports: list("acl", "httpkit", "store"), tests: list("orbittest")},
	"nomadapi": {kind: feature, imports: list("filter", "httpkit", "job", "jobspec", "nomadwire", "store", "view"), tests: list("catalog", "orbittest", "scheduler")},
	"pki":      {kind: feature, tests: list("orbittest", "store")},
	"proxy":    {kind: feature, imports: list("httpkit", "routing"), tests: list("catalog", "orbittest", "pki", "routefeed", "store", "view")},
	// routefeed turns the view into the route table and hands it to the
	// proxy and DNS (both declare nothing of it: they take a table).
	"routefeed": {kind: feature, imports: list("catalog", "routing", "view"), tests: list("orbittest")},
	"scheduler": {kind: feature, imports: list("anomaly", "job", "store", "view"), tests: list("catalog", "orbittest")},
	"drainer":   {kind: feature, imports: list("job", "store", "view")},
	"periodic":  {kind: feature, imports: list("job", "store", "view")},
	"webhook":   {kind: feature, imports: list("alert")},
	"zoneapi":   {kind: feature, imports: list("doctor", "httpkit", "store", "view", "zone"), tests: list("dns", "orbittest")},
	// The web UI reads through the agent's API in process and the view.
	"ui": {kind: feature, imports: list("acl", "audit", "catalog", "httpkit", "policy", "report", "routing", "view")},

	// The one place that wires everything, and the command line above it.
	"agent": {kind: wiring, imports: list("acl", "aclapi", "aclresolve", "acme", "alert", "anomaly", "api", "auditlog", "catalog", "client", "connectca", "dns", "drainer", "driver", "driver/docker", "driver/exec", "identity",
		"driver/rawexec", "external", "health", "httpkit", "job", "metrics", "metrics/tsdb", "nomadapi", "operator", "periodic", "pki", "policy", "proxy", "routefeed", "routing", "scheduler", "snapshot", "store", "ui", "view", "webhook", "zoneapi"),
		tests: list("orbittest", "orbittest/testagent")},
	"cli": {kind: cli, imports: list("acl", "agent", "audit", "catalog", "doctor", "importer", "job", "jobspec", "jobvalidate", "nomadwire", "policy", "report", "zone"),
		tests: list("orbittest", "orbittest/testagent", "report/reporttest")},

	// Test harnesses: imported by tests only; they may start anything.
	"driver/docker/dockertest": {kind: harness, imports: list("driver/drivertest")},
	"driver/drivertest":        {kind: harness},
	"orbittest":                {kind: harness, imports: list("store", "view")},
	"orbittest/fixtures":       {kind: harness},
	"orbittest/testagent":      {kind: harness, imports: list("agent", "orbittest")},
	"report/reporttest":        {kind: harness},
}

// kind is a package's place in the architecture.
type kind int

const (
	plain   kind = iota // plain types: import nothing internal
	wire                // wire shapes: plain types only
	state               // store and view
	logic               // pure decisions
	kit                 // shared building blocks of the features (the HTTP kit)
	driver              // task drivers
	feature             // servers and workers; never import each other
	wiring              // agent
	cli                 // the command line: no server package
	harness             // test helpers, for tests only
)

var kindNames = [...]string{"plain", "wire", "state", "logic", "kit", "driver", "feature", "wiring", "cli", "harness"}

func (k kind) String() string { return kindNames[k] }

// mayImport says which kinds a kind's own (non-test) files may import,
// whatever its entry lists, and why not otherwise.
var mayImport = map[kind]struct {
	kinds []kind
	why   string
}{
	plain:   {nil, "plain types import nothing internal"},
	wire:    {[]kind{plain}, "wire shapes import only plain types"},
	state:   {[]kind{plain, state}, "state sits below logic and features"},
	logic:   {[]kind{plain, wire, logic}, "pure logic decides from plain inputs and reads no state"},
	kit:     {[]kind{plain, state, logic}, "the kit serves features and imports none"},
	driver:  {[]kind{plain, driver}, "drivers run tasks and know no feature"},
	feature: {[]kind{plain, wire, state, logic, kit, driver}, "features never import each other: declare a one-method interface where it is used and let agent pass the implementation in"},
	wiring:  {[]kind{plain, wire, state, logic, kit, driver, feature}, "agent wires servers and imports neither the CLI nor test harnesses"},
	cli:     {[]kind{plain, wire, logic, wiring}, "the CLI speaks HTTP to the servers and imports no server package (client libraries and shared wire types only)"},
	harness: {[]kind{plain, wire, state, logic, kit, driver, feature, wiring, harness}, "harnesses import no CLI"},
}

// rule is one package's entry.
type rule struct {
	kind    kind
	imports []string
	tests   []string
}

func list(pkgs ...string) []string { return pkgs }

// external module prefixes that only some packages may import (their own
// files and their tests alike).
var externalOnly = []struct {
	prefix string
	owners []string // package paths below internal/, each with its sub-packages
	why    string
}{
	{"go.etcd.io/etcd", []string{"store"}, "only internal/store imports etcd; others use store's plain types"},
	{"github.com/docker/", []string{"driver/docker"}, "only the docker driver (and its test helper below it) talks to the Docker Engine"},
}
