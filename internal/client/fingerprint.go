package client

import (
	"context"
	"maps"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
)

// fingerprint builds the node's NodeInfo: its resources, attributes, and
// which drivers work here.
func (c *Client) fingerprint(ctx context.Context) (*job.NodeInfo, map[string]driver.Driver) {
	total, cores, mhz := driver.HostCPU()
	host, _ := os.Hostname()
	attrs := map[string]string{
		"kernel.name": runtime.GOOS, "os.name": osName(), "cpu.arch": runtime.GOARCH,
		"cpu.numcores": strconv.Itoa(cores), "cpu.frequency": strconv.Itoa(mhz),
		"cpu.totalcompute":          strconv.Itoa(total),
		"memory.totalbytes":         strconv.FormatInt(int64(driver.HostMemoryMB())<<20, 10),
		"unique.hostname":           host,
		"unique.network.ip-address": c.cfg.Address,
		"nomad.version":             "1.9.0", "orbit.version": c.cfg.Version,
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		attrs["kernel.version"] = unix.ByteSliceToString(u.Release[:])
	}
	n := &job.NodeInfo{
		Name: c.cfg.NodeName, ID: c.id, Datacenter: c.cfg.Datacenter, NodeClass: c.cfg.NodeClass,
		NodePool: c.cfg.NodePool, Address: c.cfg.Address, HTTPAddr: c.cfg.HTTPAddr,
		Resources:   job.NodeResources{CPU: total, Cores: cores, MemoryMB: driver.HostMemoryMB(), DiskMB: diskMB(c.cfg.DataDir)},
		Reserved:    job.NodeResources{ReservedPorts: c.cfg.ReservedPorts},
		Drivers:     map[string]job.DriverInfo{},
		HostVolumes: c.cfg.HostVolumes, HostNetworks: c.hostNetworks(), Attributes: attrs, Meta: c.cfg.Meta,
		Version: c.cfg.Version, UpdateTime: c.clock.Now(),
	}
	healthy := map[string]driver.Driver{}
	for _, d := range c.drivers {
		fp := d.Fingerprint(ctx)
		n.Drivers[d.Name()] = job.DriverInfo{Detected: fp.Detected, Healthy: fp.Healthy, Description: fp.Reason,
			Attributes: fp.Attributes, UpdateTime: n.UpdateTime}
		if fp.Detected && fp.Healthy {
			healthy[d.Name()] = d
			attrs["driver."+d.Name()] = "1"
			for k, v := range fp.Attributes {
				if strings.HasPrefix(k, "driver.") {
					attrs[k] = v
				}
			}
		}
	}
	return n, healthy
}

// hostNetworks resolves the declared host networks on the host's
// interfaces now (addresses come and go: it runs with every fingerprint).
func (c *Client) hostNetworks() map[string]job.HostNetwork {
	if len(c.cfg.HostNetworks) == 0 {
		return nil
	}
	ifs, err := hostInterfaces()
	if err != nil {
		c.log.Error("fingerprint host networks", "err", err)
	}
	out := resolveHostNetworks(c.cfg.HostNetworks, ifs)
	for name, hn := range out {
		if hn.Address == "" {
			c.log.Warn("host network has no address on this node", "host_network", name, "cidr", hn.CIDR, "interface", hn.Interface)
		}
	}
	return out
}

// sameFingerprint reports whether two node infos differ only in time.
func sameFingerprint(a, b *job.NodeInfo) bool {
	if a == nil || b == nil || len(a.Drivers) != len(b.Drivers) {
		return false
	}
	for k, d := range a.Drivers {
		e, ok := b.Drivers[k]
		if !ok || d.Detected != e.Detected || d.Healthy != e.Healthy || d.Description != e.Description {
			return false
		}
	}
	return a.Resources.CPU == b.Resources.CPU && a.Resources.MemoryMB == b.Resources.MemoryMB &&
		maps.Equal(a.HostNetworks, b.HostNetworks)
}

func osName() string {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ID="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

func diskMB(dir string) int {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return 0
	}
	return int(st.Bavail * uint64(st.Bsize) >> 20)
}
