package agent

import (
	"fmt"

	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/job"
)

// ClientBlock is the agent file's client block, with Nomad's names:
//
//	client {
//	  enabled = true
//	  host_network "dmz" {
//	    cidr           = "192.168.40.0/24"
//	    interface      = "eth2"       # optional: only this interface
//	    reserved_ports = "22,8000-8100"
//	  }
//	}
//
// enabled = true is the same as client = true (the -client flag).
type ClientBlock struct {
	Enabled      *bool              `hcl:"enabled,optional"`
	HostNetworks []HostNetworkBlock `hcl:"host_network,block"`
}

// HostNetworkBlock declares one host network of the node (Nomad's client
// host_network): a port with host_network = NAME binds on the node's
// address in CIDR (or on Interface), and its service advertises it.
type HostNetworkBlock struct {
	Name          string `hcl:"name,label"`
	CIDR          string `hcl:"cidr,optional"`
	Interface     string `hcl:"interface,optional"`
	ReservedPorts string `hcl:"reserved_ports,optional"`
}

// hostNetworks turns the client block's host_network blocks into the
// client's declarations, validated.
func (b *ClientBlock) hostNetworks() (map[string]job.HostNetwork, error) {
	if b == nil || len(b.HostNetworks) == 0 {
		return nil, nil
	}
	out := map[string]job.HostNetwork{}
	for _, hn := range b.HostNetworks {
		if _, dup := out[hn.Name]; dup {
			return nil, fmt.Errorf("client block: host_network %q is declared twice", hn.Name)
		}
		out[hn.Name] = job.HostNetwork{CIDR: hn.CIDR, Interface: hn.Interface, ReservedPorts: hn.ReservedPorts}
	}
	if err := client.ValidateHostNetworks(out); err != nil {
		return nil, fmt.Errorf("client block: %w", err)
	}
	return out, nil
}
