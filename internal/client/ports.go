package client

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"

	"github.com/orbit/orbit/internal/job"
)

// ErrNoPorts is returned when no dynamic port is free.
var ErrNoPorts = errors.New("no free dynamic port")

// portAllocator hands out host ports to allocations on this node.
type portAllocator struct {
	min, max int
	ip       string // the address tasks bind on; test binds use it and 0.0.0.0
	// bindable reports whether a port can be bound on the host now.
	bindable func(ip string, port int) bool

	mu   sync.Mutex     // guards used and rng
	used map[int]string // port → allocation id
	rng  *rand.Rand
}

func newPortAllocator(min, max int, ip string) *portAllocator {
	return &portAllocator{min: min, max: max, ip: ip, bindable: canBind, used: map[int]string{},
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
}

// allocate assigns every port an allocation asks for: static ones as
// asked (refused when another allocation here holds them), dynamic ones
// from the range at a random start, skipping ports held here or bound on
// the host. Nothing is held on error.
// A port with a host_network binds on that network's address in nets
// (name → address); without one, on the node's address.
func (p *portAllocator) allocate(allocID string, asks []job.AllocPort, nets map[string]string) ([]job.AllocatedPort, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []job.AllocatedPort
	took := []int{}
	fail := func(err error) ([]job.AllocatedPort, error) {
		for _, port := range took {
			delete(p.used, port)
		}
		return nil, err
	}
	ipOf := func(a job.AllocPort) (string, error) {
		if a.HostNetwork == "" || a.HostNetwork == job.DefaultHostNetwork {
			return p.ip, nil
		}
		if ip := nets[a.HostNetwork]; ip != "" {
			return ip, nil
		}
		return "", fmt.Errorf("port %q: host network %q has no address on this node", a.Label, a.HostNetwork)
	}
	for _, a := range asks {
		if a.Static > 0 {
			ip, err := ipOf(a)
			if err != nil {
				return fail(err)
			}
			if owner, ok := p.used[a.Static]; ok && owner != allocID {
				return fail(fmt.Errorf("static port %d (%s) is held by allocation %s", a.Static, a.Label, owner))
			}
			p.used[a.Static] = allocID
			took = append(took, a.Static)
			out = append(out, job.AllocatedPort{Label: a.Label, Value: a.Static, To: a.To, HostIP: ip})
		}
	}
	for _, a := range asks {
		if a.Static > 0 {
			continue
		}
		ip, err := ipOf(a)
		if err != nil {
			return fail(err)
		}
		port, err := p.pickLocked(ip)
		if err != nil {
			return fail(err)
		}
		p.used[port] = allocID
		took = append(took, port)
		out = append(out, job.AllocatedPort{Label: a.Label, Value: port, To: a.To, HostIP: ip})
	}
	return out, nil
}

func (p *portAllocator) pickLocked(ip string) (int, error) {
	n := p.max - p.min + 1
	start := p.rng.IntN(n)
	for i := 0; i < n; i++ {
		port := p.min + (start+i)%n
		if _, held := p.used[port]; held {
			continue
		}
		if p.bindable(ip, port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("%w in %d-%d", ErrNoPorts, p.min, p.max)
}

// hold marks ports as used by an allocation (after an agent restart).
func (p *portAllocator) hold(allocID string, ports []job.AllocatedPort) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, port := range ports {
		p.used[port.Value] = allocID
	}
}

// release frees every port of an allocation.
func (p *portAllocator) release(allocID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for port, owner := range p.used {
		if owner == allocID {
			delete(p.used, port)
		}
	}
}

// canBind test-binds port for TCP and UDP on every address and on ip.
func canBind(ip string, port int) bool {
	for _, host := range []string{"0.0.0.0", ip} {
		addr := net.JoinHostPort(host, strconv.Itoa(port))
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			return false
		}
		l.Close()
		u, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return false
		}
		u.Close()
		if host == ip {
			break
		}
	}
	return true
}
