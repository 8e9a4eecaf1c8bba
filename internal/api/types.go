package api

import (
	"encoding/json"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

// The JSON shapes below are Consul's, field for field, as its api client
// decodes them.

type nodeJSON struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	Meta            map[string]string
	CreateIndex     uint64
	ModifyIndex     uint64
}

type weightsJSON struct {
	Passing int
	Warning int
}

type agentServiceJSON struct {
	Kind              string `json:",omitempty"`
	ID                string
	Service           string
	Tags              []string
	Meta              map[string]string
	Port              int
	Address           string
	TaggedAddresses   map[string]catalog.ServiceAddress `json:",omitempty"`
	Weights           weightsJSON
	EnableTagOverride bool
	Proxy             json.RawMessage   `json:",omitempty"`
	Connect           json.RawMessage   `json:",omitempty"`
	Locality          *catalog.Locality `json:",omitempty"`
	SocketPath        string            `json:",omitempty"`
	CreateIndex       uint64            `json:",omitempty"`
	ModifyIndex       uint64            `json:",omitempty"`
	ContentHash       string            `json:",omitempty"`
	Datacenter        string            `json:",omitempty"`
}

type checkDefinitionJSON struct {
	HTTP                           string              `json:",omitempty"`
	Header                         map[string][]string `json:",omitempty"`
	Method                         string              `json:",omitempty"`
	Body                           string              `json:",omitempty"`
	TLSServerName                  string              `json:",omitempty"`
	TLSSkipVerify                  bool                `json:",omitempty"`
	TCP                            string              `json:",omitempty"`
	GRPC                           string              `json:",omitempty"`
	GRPCUseTLS                     bool                `json:",omitempty"`
	UDP                            string              `json:",omitempty"`
	Interval                       string              `json:",omitempty"`
	Timeout                        string              `json:",omitempty"`
	TTL                            string              `json:",omitempty"`
	DeregisterCriticalServiceAfter string              `json:",omitempty"`
}

type healthCheckJSON struct {
	Node        string
	CheckID     string
	Name        string
	Status      string
	Notes       string
	Output      string
	ServiceID   string
	ServiceName string
	ServiceTags []string
	Type        string
	ExposedPort int
	Definition  checkDefinitionJSON
	CreateIndex uint64
	ModifyIndex uint64
}

type serviceEntryJSON struct {
	Node    *nodeJSON
	Service *agentServiceJSON
	Checks  []*healthCheckJSON
}

type catalogServiceJSON struct {
	ID                       string
	Node                     string
	Address                  string
	Datacenter               string
	TaggedAddresses          map[string]string
	NodeMeta                 map[string]string
	ServiceID                string
	ServiceName              string
	ServiceAddress           string
	ServiceTaggedAddresses   map[string]catalog.ServiceAddress
	ServiceTags              []string
	ServiceMeta              map[string]string
	ServicePort              int
	ServiceWeights           weightsJSON
	ServiceEnableTagOverride bool
	ServiceKind              string            `json:",omitempty"`
	ServiceProxy             json.RawMessage   `json:",omitempty"`
	ServiceConnect           json.RawMessage   `json:",omitempty"`
	ServiceLocality          *catalog.Locality `json:",omitempty"`
	CreateIndex              uint64
	ModifyIndex              uint64
}

type kvJSON struct {
	LockIndex   uint64
	Key         string
	Flags       uint64
	Value       []byte
	CreateIndex uint64
	ModifyIndex uint64
	Session     string `json:",omitempty"`
}

func toNodeJSON(n *catalog.Node) *nodeJSON {
	tagged := n.TaggedAddresses
	if tagged == nil {
		tagged = map[string]string{"lan": n.Address, "wan": n.Address}
	}
	meta := n.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	return &nodeJSON{ID: n.ID, Node: n.Name, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: tagged, Meta: meta, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex}
}

// emptyObject is the JSON of an empty object.
var emptyObject = json.RawMessage("{}")

func toServiceJSON(in *catalog.Instance, withIndex bool) *agentServiceJSON {
	tags := in.Tags
	if tags == nil {
		tags = []string{}
	}
	meta := in.Meta
	if meta == nil {
		meta = map[string]string{}
	}
	s := &agentServiceJSON{Kind: in.Kind, ID: in.ID, Service: in.Name, Tags: tags, Meta: meta,
		Port: in.Port, Address: in.Address, TaggedAddresses: in.TaggedAddresses,
		Weights: weightsJSON(in.Weights), EnableTagOverride: in.EnableTagOverride,
		Proxy: in.Proxy, Connect: in.Connect, Locality: in.Locality, SocketPath: in.SocketPath}
	if withIndex {
		// The catalog's answers always carry Proxy and Connect, as
		// Consul's NodeService does; the agent's only when set.
		s.CreateIndex, s.ModifyIndex = in.CreateIndex, in.ModifyIndex
		if s.Proxy == nil {
			s.Proxy = emptyObject
		}
		if s.Connect == nil {
			s.Connect = emptyObject
		}
	}
	return s
}

func toCheckJSON(c *catalog.Check) *healthCheckJSON {
	d := c.Definition
	tags := c.ServiceTags
	if tags == nil {
		tags = []string{}
	}
	return &healthCheckJSON{Node: c.Node, CheckID: c.CheckID, Name: c.Name, Status: string(c.Status),
		Notes: c.Notes, Output: c.Output, ServiceID: c.ServiceID, ServiceName: c.ServiceName,
		ServiceTags: tags, Type: c.Type, CreateIndex: c.CreateIndex, ModifyIndex: c.ModifyIndex,
		Definition: checkDefinitionJSON{HTTP: d.HTTP, Header: d.Header, Method: d.Method, Body: d.Body,
			TLSServerName: d.TLSServerName, TLSSkipVerify: d.TLSSkipVerify, TCP: d.TCP, GRPC: d.GRPC,
			GRPCUseTLS: d.GRPCUseTLS, UDP: d.UDP, Interval: durString(d.Interval), Timeout: durString(d.Timeout),
			TTL: durString(d.TTL), DeregisterCriticalServiceAfter: durString(d.DeregisterCriticalServiceAfter)}}
}

func toChecksJSON(cs []*catalog.Check) []*healthCheckJSON {
	out := make([]*healthCheckJSON, len(cs))
	for i, c := range cs {
		out[i] = toCheckJSON(c)
	}
	return out
}

func toEntryJSON(e view.Entry) *serviceEntryJSON {
	return &serviceEntryJSON{Node: toNodeJSON(e.Node), Service: toServiceJSON(e.Instance, true), Checks: toChecksJSON(e.Checks)}
}

func toCatalogServiceJSON(e view.Entry) *catalogServiceJSON {
	n, in := toNodeJSON(e.Node), e.Instance
	s := toServiceJSON(in, true)
	return &catalogServiceJSON{ID: n.ID, Node: n.Node, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: n.TaggedAddresses, NodeMeta: n.Meta, ServiceID: in.ID, ServiceName: in.Name,
		ServiceAddress: in.Address, ServiceTaggedAddresses: in.TaggedAddresses, ServiceTags: s.Tags,
		ServiceMeta: s.Meta, ServicePort: in.Port, ServiceWeights: weightsJSON(in.Weights),
		ServiceEnableTagOverride: in.EnableTagOverride, ServiceKind: in.Kind, ServiceProxy: in.Proxy,
		ServiceConnect: in.Connect, ServiceLocality: in.Locality, CreateIndex: in.CreateIndex, ModifyIndex: in.ModifyIndex}
}

// toKVJSON is an entry as Consul shows it: an empty value is null, as
// Consul stores the empty body of a PUT.
func toKVJSON(e *catalog.KVEntry) *kvJSON {
	return &kvJSON{LockIndex: e.LockIndex, Key: e.Key, Flags: e.Flags, Value: nilIfEmpty(e.Value),
		CreateIndex: e.CreateIndex, ModifyIndex: e.ModifyIndex, Session: e.Session}
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
