package dns

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

// table is everything a query is answered from. It is built whole by the
// builder goroutine and never modified after it is published.
type table struct {
	// rev is the view revision the table was built at (read before reading
	// the data, so the data is at least that recent).
	rev uint64
	// domains are the service-discovery domains, Domain first.
	domains  []string
	dc       string
	services map[string]*service  // lower-case service name
	nodes    map[string]*nodeRec  // lower-case node name
	ptr      map[string]string    // reverse name → node name
	routers  map[string]*hostRRs  // lower-case router host
	zones    map[string]*authZone // apex → zone
	serials  map[string]uint32    // apex → serial, to notice changes
	transfer []netip.Prefix       // global AXFR allow list
	tsig     tsigKeys             // every zone's TSIG keys by name
	pcache   *packetCache         // packed answers of this table
	ttl      struct{ svc, node, router, neg uint32 }
}

type instRec struct {
	node   string // lower-case node name
	addr   netip.Addr
	port   uint16
	weight uint16
	// target is the SRV target below the domain: "<node>.node.<dc>." or,
	// when the instance has its own address, "<hex>.addr.<dc>.".
	target string
}

type service struct {
	all   []instRec
	byTag map[string][]instRec // lower-case tag
}

type nodeRec struct {
	name string // as registered
	addr netip.Addr
}

// hostRRs are the precomputed A and AAAA answers of a router host.
type hostRRs struct {
	a, aaaa []dns.RR
}

// catalogSource is what building needs from the view.
type catalogSource interface {
	ServiceNames() []string
	Entries(service string) []view.Entry
	Nodes() []*catalog.Node
	Alive(node string) bool
}

// buildCatalog fills the service, node and reverse maps from the view in
// one pass over everything. The server builds incrementally
// (catalogCache.update); this full build is the reference it is tested
// against.
func (t *table) buildCatalog(cat catalogSource, allowWarning bool) {
	min := catalog.Passing
	if allowWarning {
		min = catalog.Warning
	}
	t.nodes = map[string]*nodeRec{}
	t.ptr = map[string]string{}
	for _, n := range cat.Nodes() {
		b := buildNode(n)
		if b.rec == nil {
			continue
		}
		t.nodes[strings.ToLower(n.Name)] = b.rec
		if b.rev != "" {
			t.ptr[b.rev] = strings.ToLower(n.Name)
		}
	}
	t.services = map[string]*service{}
	for _, name := range cat.ServiceNames() {
		if !validLabel(name) {
			continue
		}
		if s := buildService(cat.Entries(name), t.dc, min); s != nil {
			t.services[strings.ToLower(name)] = s
		}
	}
}

// instanceRec is one instance's record; false when it has no usable
// address.
func instanceRec(e view.Entry, dc string) (instRec, bool) {
	in := e.Instance
	node := strings.ToLower(in.Node)
	r := instRec{node: node, port: uint16(in.Port), weight: uint16(max(1, min(65535, in.Weights.Passing)))}
	if e.Status == catalog.Warning {
		r.weight = uint16(max(1, min(65535, in.Weights.Warning)))
	}
	nodeAddr, _ := netip.ParseAddr(e.Node.Address)
	addr := nodeAddr
	if in.Address != "" {
		a, err := netip.ParseAddr(in.Address)
		if err != nil {
			return r, false
		}
		addr = a
	}
	if !addr.IsValid() {
		return r, false
	}
	r.addr = addr
	if addr == nodeAddr && validLabel(in.Node) {
		r.target = node + ".node." + dc + "."
	} else {
		r.target = addrLabel(addr) + ".addr." + dc + "."
	}
	return r, true
}

// buildRouters resolves router hosts to the alive edge nodes' addresses.
// Hosts that a zone defines explicitly are left to the zone.
func (t *table) buildRouters(hosts map[string]bool, cat catalogSource) {
	t.routers = map[string]*hostRRs{}
	if len(hosts) == 0 {
		return
	}
	var edges []netip.Addr
	for _, n := range cat.Nodes() {
		if !slices.Contains(n.Roles, "edge") || !cat.Alive(n.Name) {
			continue
		}
		if a, err := netip.ParseAddr(n.Address); err == nil && !slices.Contains(edges, a) {
			edges = append(edges, a)
		}
	}
	if len(edges) == 0 {
		return
	}
	for host, ok := range hosts {
		if !ok {
			continue
		}
		h, err := canonicalHost(host)
		if err != nil || t.zoneDefines(h) {
			continue
		}
		r := &hostRRs{}
		for _, a := range edges {
			r.a, r.aaaa = appendAddr(r.a, r.aaaa, h, a, t.ttl.router)
		}
		t.routers[h] = r
	}
}

// zoneDefines reports whether an authoritative zone holds data at name.
func (t *table) zoneDefines(name string) bool {
	z := t.findZone(name)
	return z != nil && len(z.names[name]) > 0
}

// findZone returns the zone whose apex is name's closest enclosing one.
func (t *table) findZone(name string) *authZone {
	if len(t.zones) == 0 {
		return nil
	}
	for off, end := 0, false; !end; off, end = dns.NextLabel(name, off) {
		if z := t.zones[name[off:]]; z != nil {
			return z
		}
	}
	return nil
}

func appendAddr(a, aaaa []dns.RR, owner string, addr netip.Addr, ttl uint32) ([]dns.RR, []dns.RR) {
	if addr.Is4() || addr.Is4In6() {
		return append(a, addrRR(owner, addr, ttl)), aaaa
	}
	return a, append(aaaa, addrRR(owner, addr, ttl))
}

// addrRR is an A or AAAA record for addr.
func addrRR(owner string, addr netip.Addr, ttl uint32) dns.RR {
	if addr.Is4() || addr.Is4In6() {
		return &dns.A{Hdr: hdr(owner, dns.TypeA, ttl), A: addr.Unmap().AsSlice()}
	}
	return &dns.AAAA{Hdr: hdr(owner, dns.TypeAAAA, ttl), AAAA: addr.AsSlice()}
}

func hdr(owner string, typ uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: owner, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}

// validLabel reports whether s can be one DNS label.
func validLabel(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || c == '\\' || c <= ' ' || c >= 0x7f || c == '/' {
			return false
		}
	}
	return true
}

// addrLabel is Consul's hex form of an address for .addr. names.
func addrLabel(a netip.Addr) string {
	b := a.Unmap().AsSlice()
	const hexd = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, x := range b {
		out = append(out, hexd[x>>4], hexd[x&15])
	}
	return string(out)
}

func parseAddrLabel(s string) (netip.Addr, bool) {
	if len(s) != 8 && len(s) != 32 {
		return netip.Addr{}, false
	}
	b := make([]byte, len(s)/2)
	for i := range b {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return netip.Addr{}, false
		}
		b[i] = hi<<4 | lo
	}
	a, ok := netip.AddrFromSlice(b)
	return a, ok
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func canonicalHost(h string) (string, error) {
	return canonicalName(strings.TrimSuffix(h, "."))
}
