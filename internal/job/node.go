package job

import "time"

// Node statuses as the Nomad API reports them.
const (
	NodeReady        = "ready"
	NodeDown         = "down"
	NodeInitializing = "initializing"
)

// Node scheduling eligibility.
const (
	NodeEligible   = "eligible"
	NodeIneligible = "ineligible"
)

// The dynamic port range a client picks from.
const (
	DynamicPortMin = 20000
	DynamicPortMax = 32000
)

// NodeInfo is what a client reports about its node for scheduling (key
// /orbit/nodeinfo/<node>), written only by that node's client at start and
// whenever its fingerprint changes. Liveness is not here: a node is up
// while its /orbit/alive/<node> key (bound to its agent's lease) exists.
type NodeInfo struct {
	Name       string `json:"name"` // the catalog node name; node.unique.name
	ID         string `json:"id"`   // a UUID stable across restarts; node.unique.id
	Datacenter string `json:"datacenter"`
	NodeClass  string `json:"node_class,omitempty"`
	NodePool   string `json:"node_pool,omitempty"` // "default" when empty
	Address    string `json:"address"`             // the IP tasks' ports bind on
	HTTPAddr   string `json:"http_addr,omitempty"` // the agent's API host:port

	// Resources is the node's total capacity; Reserved is kept back for the
	// system and never given to allocations.
	Resources NodeResources `json:"resources"`
	Reserved  NodeResources `json:"reserved,omitzero"`

	Drivers     map[string]DriverInfo `json:"drivers,omitempty"`
	HostVolumes map[string]HostVolume `json:"host_volumes,omitempty"`
	// HostNetworks are the networks ports may pick by name (a port's
	// host_network), as declared by the client's host_network blocks and
	// resolved to an address of this node when fingerprinted.
	HostNetworks map[string]HostNetwork `json:"host_networks,omitempty"`
	// Attributes are fingerprinted facts, keyed as Nomad keys them, without
	// the "attr." a constraint writes: "kernel.name", "cpu.arch",
	// "unique.network.ip-address", "unique.hostname", "os.name",
	// "driver.docker", "nomad.version", ...
	Attributes map[string]string `json:"attributes,omitempty"`
	// Meta is the operator's node metadata (constraint "${meta.x}").
	Meta map[string]string `json:"meta,omitempty"`

	Eligibility string    `json:"eligibility,omitempty"` // "eligible" when empty
	Drain       bool      `json:"drain,omitempty"`
	Version     string    `json:"version,omitempty"`
	UpdateTime  time.Time `json:"update_time"`

	// Overlaid by the view from the node's NodeSchedule, never stored here
	// (see NodeInfo.Overlay).
	DrainStrategy *DrainStrategy `json:"-"`
	LastDrain     *DrainMetadata `json:"-"`
	Migrate       []string       `json:"-"`
}

// Eligible reports whether the scheduler may place new allocations here.
func (n *NodeInfo) Eligible() bool {
	return !n.Drain && (n.Eligibility == "" || n.Eligibility == NodeEligible)
}

// Available is the capacity allocations may use: Resources minus Reserved.
func (n *NodeInfo) Available() NodeResources {
	return NodeResources{
		CPU:      n.Resources.CPU - n.Reserved.CPU,
		MemoryMB: n.Resources.MemoryMB - n.Reserved.MemoryMB,
		DiskMB:   n.Resources.DiskMB - n.Reserved.DiskMB,
		Cores:    n.Resources.Cores,
	}
}

// NodeResources is a node's capacity.
type NodeResources struct {
	CPU      int `json:"cpu"` // MHz, summed over cores
	Cores    int `json:"cores,omitempty"`
	MemoryMB int `json:"memory_mb"`
	DiskMB   int `json:"disk_mb,omitempty"`
	// ReservedPorts are host ports the scheduler must not hand out as
	// static ports (the agent's own listeners, for instance).
	ReservedPorts []int `json:"reserved_ports,omitempty"`
}

// DriverInfo is what fingerprinting found out about one task driver.
type DriverInfo struct {
	Detected    bool              `json:"detected"`
	Healthy     bool              `json:"healthy"`
	Description string            `json:"description,omitempty"`
	Attributes  map[string]string `json:"attributes,omitempty"`
	UpdateTime  time.Time         `json:"update_time"`
}

// HostVolume is a directory of the node that groups may mount by name.
type HostVolume struct {
	Path     string `json:"path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// DefaultHostNetwork is the name of the network of the node's address: a
// port with no host_network (or this one) binds there.
const DefaultHostNetwork = "default"

// HostNetwork is a network of the node that ports may pick by name, as
// Nomad's client host_network block declares it: by CIDR, by interface,
// or both.
type HostNetwork struct {
	CIDR          string `json:"cidr,omitempty"`
	Interface     string `json:"interface,omitempty"`
	ReservedPorts string `json:"reserved_ports,omitempty"` // "22,80,8000-8100"
	// Address and Device are what fingerprinting found: the node's first
	// address inside CIDR (on Interface when set, the interface's first
	// address when only Interface is set). Address "" means the network is
	// declared but absent on the node: no port can be placed on it.
	Address string `json:"address,omitempty"`
	Device  string `json:"device,omitempty"`
}

// HostNetworkAddress is the address a port on host network name binds on
// this node: the node's address for "" and "default", the network's
// fingerprinted address otherwise; ok is false when the node has no
// address on that network.
func (n *NodeInfo) HostNetworkAddress(name string) (addr string, ok bool) {
	if name == "" || name == DefaultHostNetwork {
		return n.Address, true
	}
	hn, found := n.HostNetworks[name]
	if !found || hn.Address == "" {
		return "", false
	}
	return hn.Address, true
}
