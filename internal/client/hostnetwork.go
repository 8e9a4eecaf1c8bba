package client

import (
	"fmt"
	"net"
	"net/netip"
	"sort"

	"github.com/orbit/orbit/internal/job"
)

// iface is one network interface of the host and its addresses, as
// fingerprinting reads them (net.Interfaces at the edge).
type iface struct {
	Name  string
	Addrs []netip.Addr
}

// resolveHostNetworks gives each declared host network the node's address
// on it, as Nomad's client does: with a CIDR, the first address inside it
// (on the named interface when one is set); with only an interface, its
// first IPv4 address (else its first address). A network the host has no
// address on keeps Address "" and no port can be placed on it.
func resolveHostNetworks(decl map[string]job.HostNetwork, ifaces []iface) map[string]job.HostNetwork {
	if len(decl) == 0 {
		return nil
	}
	out := make(map[string]job.HostNetwork, len(decl))
	for name, hn := range decl {
		hn.Address, hn.Device = "", ""
		var prefix netip.Prefix
		if hn.CIDR != "" {
			p, err := netip.ParsePrefix(hn.CIDR)
			if err != nil { // validated with the config; keep it absent
				out[name] = hn
				continue
			}
			prefix = p.Masked()
		}
		for _, ifc := range ifaces {
			if hn.Interface != "" && ifc.Name != hn.Interface {
				continue
			}
			if a, ok := pickAddr(ifc.Addrs, prefix); ok {
				hn.Address, hn.Device = a.String(), ifc.Name
				break
			}
		}
		out[name] = hn
	}
	return out
}

// pickAddr returns the first address inside prefix, or without a prefix
// the first IPv4 address, else the first address.
func pickAddr(addrs []netip.Addr, prefix netip.Prefix) (netip.Addr, bool) {
	if prefix.IsValid() {
		for _, a := range addrs {
			if prefix.Contains(a.Unmap()) {
				return a.Unmap(), true
			}
		}
		return netip.Addr{}, false
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), true
		}
	}
	if len(addrs) > 0 {
		return addrs[0], true
	}
	return netip.Addr{}, false
}

// hostInterfaces reads the host's interfaces that are up, in index order.
func hostInterfaces() ([]iface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	sort.Slice(ifs, func(i, k int) bool { return ifs[i].Index < ifs[k].Index })
	var out []iface
	for _, ni := range ifs {
		if ni.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ni.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", ni.Name, err)
		}
		ifc := iface{Name: ni.Name}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
					ifc.Addrs = append(ifc.Addrs, ip.Unmap())
				}
			}
		}
		out = append(out, ifc)
	}
	return out, nil
}

// networkAddrs maps each host network of the last fingerprint to the
// node's address on it.
func (c *Client) networkAddrs() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]string{}
	if c.node != nil {
		for name, hn := range c.node.HostNetworks {
			if hn.Address != "" {
				out[name] = hn.Address
			}
		}
	}
	return out
}

// ValidateHostNetworks checks declared host networks as the agent loads
// them: a name, a CIDR or an interface, a CIDR that parses, reserved
// ports that parse.
func ValidateHostNetworks(decl map[string]job.HostNetwork) error {
	for name, hn := range decl {
		switch {
		case name == "":
			return fmt.Errorf("host_network: a name is required")
		case name == job.DefaultHostNetwork:
			return fmt.Errorf("host_network %q: the name is reserved for the node's address", name)
		case hn.CIDR == "" && hn.Interface == "":
			return fmt.Errorf("host_network %q: set cidr, interface, or both", name)
		}
		if hn.CIDR != "" {
			if _, err := netip.ParsePrefix(hn.CIDR); err != nil {
				return fmt.Errorf("host_network %q: cidr %q is not an address prefix such as 192.168.11.0/24", name, hn.CIDR)
			}
		}
		if _, err := job.ParsePortList(hn.ReservedPorts); err != nil {
			return fmt.Errorf("host_network %q: %w", name, err)
		}
	}
	return nil
}
