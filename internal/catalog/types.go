package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalid marks validation errors: the API answers them with 400.
var ErrInvalid = errors.New("invalid")

// SerfCheckID is the node-liveness check that Consul reports on every agent
// node; orbit derives it from the node's etcd lease.
const (
	SerfCheckID   = "serfHealth"
	SerfCheckName = "Serf Health Status"
)

// Node is a machine in the catalog: either an orbit agent (Agent true, its
// liveness bound to an etcd lease) or an external node registered through
// the catalog API (no liveness check, as in Consul).
type Node struct {
	Name            string            `json:"name"`
	ID              string            `json:"id,omitempty"`
	Address         string            `json:"address"`
	Datacenter      string            `json:"dc"`
	TaggedAddresses map[string]string `json:"tagged,omitempty"`
	Meta            map[string]string `json:"meta,omitempty"`
	Agent           bool              `json:"agent,omitempty"`
	Roles           []string          `json:"roles,omitempty"`

	CreateIndex uint64 `json:"-"`
	ModifyIndex uint64 `json:"-"`
}

// Validate checks the fields a node must have.
func (n *Node) Validate() error {
	if n.Name == "" {
		return fmt.Errorf("%w: node name is required", ErrInvalid)
	}
	if err := validName("node name", n.Name); err != nil {
		return err
	}
	if n.Address == "" {
		return fmt.Errorf("%w: node %q: address is required", ErrInvalid, n.Name)
	}
	return nil
}

// ServiceAddress is an address and port, as in Consul's tagged addresses.
type ServiceAddress struct {
	Address string `json:"Address"`
	Port    int    `json:"Port"`
}

// Weights are the DNS SRV weights of an instance by health.
type Weights struct {
	Passing int `json:"Passing"`
	Warning int `json:"Warning"`
}

// Instance is one registered instance of a service on a node.
type Instance struct {
	Node              string                    `json:"node"`
	ID                string                    `json:"id"`
	Name              string                    `json:"name"`
	Kind              string                    `json:"kind,omitempty"`
	Address           string                    `json:"address,omitempty"`
	Port              int                       `json:"port,omitempty"`
	Tags              []string                  `json:"tags,omitempty"`
	Meta              map[string]string         `json:"meta,omitempty"`
	TaggedAddresses   map[string]ServiceAddress `json:"tagged,omitempty"`
	Weights           Weights                   `json:"weights"`
	EnableTagOverride bool                      `json:"eto,omitempty"`
	// Proxy and Connect are Consul's service-mesh fields (a connect-proxy's
	// destination and upstreams, Connect.Native), kept as the JSON the
	// registration carried: orbit runs no proxies, it stores and answers
	// them as catalog data.
	Proxy   json.RawMessage `json:"proxy,omitempty"`
	Connect json.RawMessage `json:"connect,omitempty"`
	// Locality is the instance's region and zone, as registered.
	Locality *Locality `json:"locality,omitempty"`
	// SocketPath is the Unix socket the service listens on, as registered.
	SocketPath string `json:"socket,omitempty"`
	// Owner names what registered the instance (an allocation id for
	// orchestrated workloads), so its registrations can be removed with it.
	Owner string `json:"owner,omitempty"`

	CreateIndex uint64 `json:"-"`
	ModifyIndex uint64 `json:"-"`
}

// Locality is a region and zone (Consul's Locality).
type Locality struct {
	Region string `json:"Region,omitempty"`
	Zone   string `json:"Zone,omitempty"`
}

// Service kinds (Consul's ServiceKind); "" is a typical service.
const (
	KindConnectProxy       = "connect-proxy"
	KindMeshGateway        = "mesh-gateway"
	KindTerminatingGateway = "terminating-gateway"
	KindIngressGateway     = "ingress-gateway"
	KindAPIGateway         = "api-gateway"
)

// ProxyDestination is the service a connect-proxy instance fronts ("" if
// none).
func (i *Instance) ProxyDestination() string {
	if i.Kind != KindConnectProxy || len(i.Proxy) == 0 {
		return ""
	}
	var p struct{ DestinationServiceName string }
	if json.Unmarshal(i.Proxy, &p) != nil {
		return ""
	}
	return p.DestinationServiceName
}

// ConnectNative reports whether the instance speaks Connect itself
// (Connect.Native).
func (i *Instance) ConnectNative() bool {
	if len(i.Connect) == 0 {
		return false
	}
	var c struct{ Native bool }
	return json.Unmarshal(i.Connect, &c) == nil && c.Native
}

// Validate checks an instance before it is written.
func (i *Instance) Validate() error {
	if i.Name == "" {
		return fmt.Errorf("%w: service name is required", ErrInvalid)
	}
	if err := validName("service name", i.Name); err != nil {
		return err
	}
	if i.ID == "" {
		return fmt.Errorf("%w: service %q: id is required", ErrInvalid, i.Name)
	}
	if strings.ContainsAny(i.ID, "/\x00") {
		return fmt.Errorf("%w: service id %q must not contain '/'", ErrInvalid, i.ID)
	}
	if i.Port < 0 || i.Port > 65535 {
		return fmt.Errorf("%w: service %q: port %d out of range 0-65535", ErrInvalid, i.ID, i.Port)
	}
	switch i.Kind {
	case "", KindConnectProxy, KindMeshGateway, KindTerminatingGateway, KindIngressGateway, KindAPIGateway:
	default:
		return fmt.Errorf("%w: service %q: unknown kind %q", ErrInvalid, i.ID, i.Kind)
	}
	if i.Kind == KindConnectProxy && i.ProxyDestination() == "" {
		return fmt.Errorf("%w: service %q: a connect-proxy needs Proxy.DestinationServiceName", ErrInvalid, i.ID)
	}
	if i.Weights.Passing < 0 || i.Weights.Warning < 0 {
		return fmt.Errorf("%w: service %q: weights must not be negative", ErrInvalid, i.ID)
	}
	return nil
}

// HasTag reports whether the instance carries tag (case-sensitive, as Consul).
func (i *Instance) HasTag(tag string) bool {
	for _, t := range i.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// HasTags reports whether the instance carries every tag in tags.
func (i *Instance) HasTags(tags []string) bool {
	for _, t := range tags {
		if !i.HasTag(t) {
			return false
		}
	}
	return true
}

// CheckDefinition says how a check is run. Exactly one of HTTP, TCP, GRPC,
// TTL or Args selects its type.
type CheckDefinition struct {
	HTTP          string              `json:"http,omitempty"`
	Method        string              `json:"method,omitempty"`
	Header        map[string][]string `json:"header,omitempty"`
	Body          string              `json:"body,omitempty"`
	TLSServerName string              `json:"tlsName,omitempty"`
	TLSSkipVerify bool                `json:"tlsSkip,omitempty"`
	TCP           string              `json:"tcp,omitempty"`
	GRPC          string              `json:"grpc,omitempty"`
	GRPCUseTLS    bool                `json:"grpcTLS,omitempty"`
	// UDP is kept for catalog registrations (Consul's udp checks); no
	// orbit agent runs it: its status is what the registration set.
	UDP      string        `json:"udp,omitempty"`
	Args     []string      `json:"args,omitempty"`
	TTL      time.Duration `json:"ttl,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
	Timeout  time.Duration `json:"timeout,omitempty"`

	SuccessBeforePassing           int           `json:"sbp,omitempty"`
	FailuresBeforeWarning          int           `json:"fbw,omitempty"`
	FailuresBeforeCritical         int           `json:"fbc,omitempty"`
	DeregisterCriticalServiceAfter time.Duration `json:"dcsa,omitempty"`
}

// Check types, as Consul names them in the Type field.
const (
	TypeHTTP   = "http"
	TypeTCP    = "tcp"
	TypeGRPC   = "grpc"
	TypeTTL    = "ttl"
	TypeScript = "script"
	TypeUDP    = "udp"
)

// Type names the kind of check the definition describes, or "" when it
// describes none (a check whose status is only set through the API).
func (d *CheckDefinition) Type() string {
	switch {
	case d.HTTP != "":
		return TypeHTTP
	case d.TCP != "":
		return TypeTCP
	case d.GRPC != "":
		return TypeGRPC
	case d.UDP != "":
		return TypeUDP
	case d.TTL > 0:
		return TypeTTL
	case len(d.Args) > 0:
		return TypeScript
	}
	return ""
}

// Validate checks that the definition is complete and consistent.
func (d *CheckDefinition) Validate() error {
	n := 0
	for _, set := range []bool{d.HTTP != "", d.TCP != "", d.GRPC != "", d.UDP != "", d.TTL > 0, len(d.Args) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("%w: a check must have only one of HTTP, TCP, GRPC, UDP, TTL or Args", ErrInvalid)
	}
	if d.TTL < 0 || d.Interval < 0 || d.Timeout < 0 || d.DeregisterCriticalServiceAfter < 0 {
		return fmt.Errorf("%w: check durations must not be negative", ErrInvalid)
	}
	switch d.Type() {
	case TypeHTTP, TypeTCP, TypeGRPC, TypeScript:
		if d.Interval <= 0 {
			return fmt.Errorf("%w: %s check requires an Interval", ErrInvalid, d.Type())
		}
	}
	if d.SuccessBeforePassing < 0 || d.FailuresBeforeCritical < 0 || d.FailuresBeforeWarning < 0 {
		return fmt.Errorf("%w: check thresholds must not be negative", ErrInvalid)
	}
	return nil
}

// Check is a health check with its current status. A check with an empty
// ServiceID applies to its whole node.
type Check struct {
	Node       string          `json:"node"`
	CheckID    string          `json:"id"`
	Name       string          `json:"name"`
	Status     Status          `json:"status"`
	Notes      string          `json:"notes,omitempty"`
	Output     string          `json:"output,omitempty"`
	ServiceID  string          `json:"svcID,omitempty"`
	Definition CheckDefinition `json:"def"`

	// ServiceName and ServiceTags are filled from the instance by readers.
	ServiceName string   `json:"-"`
	ServiceTags []string `json:"-"`
	// Type is the definition's type, filled by readers.
	Type        string `json:"-"`
	CreateIndex uint64 `json:"-"`
	ModifyIndex uint64 `json:"-"`
}

// Validate checks a check before it is written.
func (c *Check) Validate() error {
	if c.CheckID == "" {
		return fmt.Errorf("%w: check id is required", ErrInvalid)
	}
	if strings.ContainsAny(c.CheckID, "/\x00") {
		return fmt.Errorf("%w: check id %q must not contain '/'", ErrInvalid, c.CheckID)
	}
	// A name is optional, as in Consul's catalog (its agent endpoint, which
	// names checks, asks for one itself).
	if _, err := ParseStatus(string(c.Status)); err != nil {
		return fmt.Errorf("%w: check %q: %v", ErrInvalid, c.CheckID, err)
	}
	if err := c.Definition.Validate(); err != nil {
		return fmt.Errorf("check %q: %w", c.CheckID, err)
	}
	return nil
}

func validName(what, s string) error {
	if len(s) > 256 {
		return fmt.Errorf("%w: %s %q is longer than 256 characters", ErrInvalid, what, s[:32]+"...")
	}
	for _, r := range s {
		if r == '/' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %s %q contains an invalid character %q", ErrInvalid, what, s, r)
		}
	}
	return nil
}
