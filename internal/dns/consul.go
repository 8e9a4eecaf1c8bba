package dns

import (
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// consulDomain returns the service-discovery domain name ends in, if any.
func (t *table) consulDomain(name string) (string, bool) {
	for _, d := range t.domains {
		if strings.HasSuffix(name, d) && (len(name) == len(d) || name[len(name)-len(d)-1] == '.') {
			return d, true
		}
	}
	return "", false
}

// consul answers a name under a service-discovery domain, Consul's way.
func (t *table) consul(m *dns.Msg, name, domain string, qtype uint16) {
	m.Authoritative = true
	rest := strings.TrimSuffix(strings.TrimSuffix(name, domain), ".")
	if rest == "" {
		switch qtype {
		case dns.TypeSOA, dns.TypeANY:
			m.Answer = append(m.Answer, t.consulSOA(domain, t.ttl.neg))
		default:
			m.Ns = append(m.Ns, t.consulSOA(domain, t.ttl.neg))
		}
		return
	}
	labels := strings.Split(rest, ".")
	n := len(labels)
	kind, dc := labels[n-1], t.dc
	if n >= 2 && !isKind(kind) && isKind(labels[n-2]) {
		kind, dc, labels = labels[n-2], labels[n-1], labels[:n-2]
	} else {
		labels = labels[:n-1]
	}
	if dc != t.dc || !isKind(kind) || len(labels) == 0 {
		t.nxdomain(m, domain)
		return
	}
	switch kind {
	case "service":
		t.serviceAnswer(m, name, domain, labels, qtype)
	case "node":
		nr := t.nodes[strings.Join(labels, ".")]
		if nr == nil {
			t.nxdomain(m, domain)
			return
		}
		t.addrAnswer(m, name, domain, []netip.Addr{nr.addr}, qtype, t.ttl.node)
	case "addr":
		a, ok := parseAddrLabel(labels[0])
		if !ok || len(labels) != 1 {
			t.nxdomain(m, domain)
			return
		}
		t.addrAnswer(m, name, domain, []netip.Addr{a}, qtype, t.ttl.node)
	}
}

func isKind(s string) bool { return s == "service" || s == "node" || s == "addr" }

func (t *table) serviceAnswer(m *dns.Msg, name, domain string, labels []string, qtype uint16) {
	var svcName, tag string
	switch {
	case len(labels) == 1:
		svcName = labels[0]
	case len(labels) == 2 && strings.HasPrefix(labels[0], "_") && strings.HasPrefix(labels[1], "_"):
		// RFC 2782: _name._tag, where the protocol "tcp" means any tag.
		svcName, tag = labels[0][1:], labels[1][1:]
		if tag == "tcp" {
			tag = ""
		}
	case len(labels) == 2:
		tag, svcName = labels[0], labels[1]
	default:
		t.nxdomain(m, domain)
		return
	}
	s := t.services[svcName]
	if s == nil {
		t.nxdomain(m, domain)
		return
	}
	insts := s.all
	if tag != "" {
		insts = s.byTag[tag]
	}
	if len(insts) == 0 {
		t.nxdomain(m, domain)
		return
	}
	order := rand.Perm(len(insts))
	switch qtype {
	case dns.TypeSRV:
		seen := map[string]bool{}
		for _, i := range order {
			in := &insts[i]
			target := in.target + domain
			m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(name, dns.TypeSRV, t.ttl.svc),
				Priority: 1, Weight: in.weight, Port: in.port, Target: target})
			if !seen[target] {
				seen[target] = true
				m.Extra = append(m.Extra, addrRR(target, in.addr, t.ttl.svc))
			}
		}
	case dns.TypeA, dns.TypeAAAA, dns.TypeANY:
		addrs := make([]netip.Addr, 0, len(insts))
		for _, i := range order {
			addrs = append(addrs, insts[i].addr)
		}
		t.addrAnswer(m, name, domain, addrs, qtype, t.ttl.svc)
	default:
		m.Ns = append(m.Ns, t.consulSOA(domain, t.ttl.neg))
	}
}

// addrAnswer answers A, AAAA or ANY with the addresses (duplicates
// dropped), or NODATA when none has the asked family.
func (t *table) addrAnswer(m *dns.Msg, name, domain string, addrs []netip.Addr, qtype uint16, ttl uint32) {
	for i, a := range addrs {
		dup := false
		for _, b := range addrs[:i] {
			dup = dup || a == b
		}
		if dup {
			continue
		}
		is4 := a.Is4() || a.Is4In6()
		if qtype == dns.TypeANY || (qtype == dns.TypeA && is4) || (qtype == dns.TypeAAAA && !is4) {
			m.Answer = append(m.Answer, addrRR(name, a, ttl))
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = append(m.Ns, t.consulSOA(domain, t.ttl.neg))
	}
}

func (t *table) nxdomain(m *dns.Msg, domain string) {
	m.Rcode = dns.RcodeNameError
	m.Ns = append(m.Ns, t.consulSOA(domain, t.ttl.neg))
}

// consulSOA is the SOA of a service-discovery domain, as Consul shapes it.
func (t *table) consulSOA(domain string, neg uint32) dns.RR {
	return &dns.SOA{Hdr: hdr(domain, dns.TypeSOA, neg), Ns: "ns." + domain, Mbox: "hostmaster." + domain,
		Serial: uint32(t.rev), Refresh: 3600, Retry: 600, Expire: 86400, Minttl: neg}
}

// reverse answers a PTR for a node address, under the primary domain.
func (t *table) reverse(m *dns.Msg, name string, qtype uint16) bool {
	node, ok := t.ptr[name]
	if !ok {
		return false
	}
	m.Authoritative = true
	if qtype == dns.TypePTR || qtype == dns.TypeANY {
		m.Answer = append(m.Answer, &dns.PTR{Hdr: hdr(name, dns.TypePTR, t.ttl.node),
			Ptr: node + ".node." + t.dc + "." + t.domains[0]})
	}
	return true
}

// router answers a router host name with the edge nodes' addresses.
func (t *table) router(m *dns.Msg, name string, qtype uint16) bool {
	r, ok := t.routers[name]
	if !ok {
		return false
	}
	m.Authoritative = true
	switch qtype {
	case dns.TypeA:
		m.Answer = append(m.Answer, r.a...)
	case dns.TypeAAAA:
		m.Answer = append(m.Answer, r.aaaa...)
	case dns.TypeANY:
		m.Answer = append(append(m.Answer, r.a...), r.aaaa...)
	}
	if len(m.Answer) > 1 {
		rand.Shuffle(len(m.Answer), func(i, j int) { m.Answer[i], m.Answer[j] = m.Answer[j], m.Answer[i] })
	}
	return true
}
