package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/zone"
)

// Catalog is what the server reads from the view (*view.View satisfies it).
type Catalog interface {
	catalogSource
	// Index is a resource's last-change revision: the server rebuilds only
	// the services (view.ServiceRes) and nodes (view.NodesRes) that moved.
	Index(res view.Resource) uint64
	// Zones lists the authoritative zones, decoded.
	Zones() []*view.Zone
	// Zone returns one authoritative zone by its apex.
	Zone(apex string) (*view.Zone, bool)
	Revision() uint64
	Subscribe() (<-chan struct{}, func())
	WaitRevision(ctx context.Context, rev int64) error
}

// Deps are the server's collaborators. Catalog is required. Router host
// names come in through SetRoutes.
type Deps struct {
	Catalog  Catalog
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Clock drives cache expiry and upstream hold-downs; nil means
	// the wall clock.
	Clock clockwork.Clock
	// Access, when set, keeps out of the answers the services and nodes
	// it does not allow (ACLs: the anonymous or default token's rights,
	// as Consul's DNS); nil answers everything.
	Access Access
}

// Access says whether DNS may answer a service or a node (kind "service"
// or "node"). The table is built with it on every view change, ACL
// changes included, so queries never ask it.
type Access interface {
	MayRead(kind, name string) bool
}

// Server is the DNS server. Create with New, start with Run.
type Server struct {
	cfg   Config
	deps  Deps
	log   *slog.Logger
	clock clockwork.Clock
	m     *metrics
	fwd   *forwarder // nil when forwarding is off

	udp []net.PacketConn
	tcp net.Listener

	tbl atomic.Pointer[table]
	// swapMu guards swapCh, closed and replaced after every table swap.
	swapMu sync.Mutex
	swapCh chan struct{}

	notifyq chan notifyJob

	// buildMu serialises building and swapping tables (the catalog
	// builder and SetRoutes) and guards the fields below.
	buildMu  sync.Mutex
	compiled map[string]*authZone
	hosts    map[string]bool // router host → a passing instance backs it
	cache    *catalogCache
}

// New validates cfg and binds the UDP and TCP sockets (so Addr is known
// before Run); it serves nothing until Run.
func New(cfg Config, deps Deps) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if deps.Catalog == nil {
		return nil, errors.New("dns: a catalog is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Clock == nil {
		deps.Clock = clockwork.NewRealClock()
	}
	m, err := newMetrics(deps.Registry)
	if err != nil {
		return nil, fmt.Errorf("dns metrics: %w", err)
	}
	s := &Server{cfg: cfg, deps: deps, log: deps.Logger, clock: deps.Clock, m: m,
		swapCh: make(chan struct{}), notifyq: make(chan notifyJob, 256), compiled: map[string]*authZone{}, cache: newCatalogCache()}
	s.tbl.Store(s.emptyTable())
	if err := s.listen(); err != nil {
		return nil, err
	}
	if !cfg.NoForward {
		ups := parseUpstreams(cfg.Upstreams)
		if len(cfg.Upstreams) == 0 {
			ups = readResolvConf(cfg.ResolvConf, s.log)
		}
		s.fwd = newForwarder(cfg, s.keepUpstreams(ups), deps.Clock, s.log, m)
	}
	return s, nil
}

// listen binds UDPListeners UDP sockets (SO_REUSEPORT) and one TCP socket
// on the same port. With port 0 it retries until a port is free for both.
func (s *Server) listen() error {
	_, port, _ := net.SplitHostPort(s.cfg.Addr)
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.listenOnce(); err == nil || port != "0" {
			return err
		}
	}
	return err
}

func (s *Server) listenOnce() error {
	lc := net.ListenConfig{Control: reusePort}
	pc, err := lc.ListenPacket(context.Background(), "udp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("dns listen udp %s: %w", s.cfg.Addr, err)
	}
	s.udp = []net.PacketConn{pc}
	bound := pc.LocalAddr().String()
	s.tcp, err = net.Listen("tcp", bound)
	if err != nil {
		s.closeListeners()
		s.udp, s.tcp = nil, nil
		return fmt.Errorf("dns listen tcp %s: %w", bound, err)
	}
	for i := 1; i < s.cfg.UDPListeners; i++ {
		more, err := lc.ListenPacket(context.Background(), "udp", bound)
		if err != nil {
			s.log.Warn("dns: extra UDP listener not bound; serving with fewer", "addr", bound, "err", err)
			break
		}
		s.udp = append(s.udp, more)
	}
	return nil
}

func (s *Server) closeListeners() {
	for _, pc := range s.udp {
		pc.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
}

// Addr returns the bound UDP and TCP addresses.
func (s *Server) Addr() (udp, tcp net.Addr) { return s.udp[0].LocalAddr(), s.tcp.Addr() }

// keepUpstreams drops upstreams that are this server itself.
func (s *Server) keepUpstreams(ups []netip.AddrPort) []netip.AddrPort {
	self, _ := netip.ParseAddrPort(s.udp[0].LocalAddr().String())
	var out []netip.AddrPort
	for _, u := range ups {
		if u.Port() == self.Port() && (u.Addr() == self.Addr() || self.Addr().IsUnspecified() && isLocal(u.Addr())) {
			s.log.Warn("dns forwarding loop avoided: upstream is this server's own address; not forwarding to it",
				"upstream", u.String(), "listen", self.String())
			continue
		}
		out = append(out, u)
	}
	return out
}

func isLocal(a netip.Addr) bool {
	if a.IsLoopback() || a.IsUnspecified() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && p.Addr() == a.Unmap() {
			return true
		}
	}
	return false
}

// Run serves until ctx ends, then stops every server and goroutine it
// started and returns. It returns early with an error if a listener fails.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.rebuild()
	var wg sync.WaitGroup
	wg.Go(func() { s.buildLoop(ctx) })
	wg.Go(func() { s.notifyLoop(ctx) })
	if s.fwd != nil {
		s.fwd.baseCtx = ctx
	}
	for _, pc := range s.udp {
		wg.Go(func() { s.serveUDP(ctx, pc.(*net.UDPConn), &wg) })
	}
	tcpSrv := &dns.Server{Listener: s.tcp, Handler: s, MsgAcceptFunc: acceptMsg, TsigProvider: tsigProvider{s},
		IdleTimeout: func() time.Duration { return 8 * time.Second }}
	started, tcpDone := make(chan struct{}), make(chan struct{})
	tcpSrv.NotifyStartedFunc = func() { close(started) }
	errc := make(chan error, 1)
	wg.Go(func() {
		defer close(tcpDone)
		if err := tcpSrv.ActivateAndServe(); err != nil && ctx.Err() == nil {
			errc <- err
		}
	})
	s.log.Info("dns server listening", "addr", s.udp[0].LocalAddr().String(), "udp_sockets", len(s.udp))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("dns server: %w", err)
	}
	cancel()
	for _, pc := range s.udp {
		pc.Close() // ends the UDP readers
	}
	select {
	case <-started:
		sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		_ = tcpSrv.ShutdownContext(sctx)
		c()
	case <-tcpDone:
	}
	wg.Wait()
	s.closeListeners()
	return err
}

// acceptMsg is miekg's default acceptance without the NOTIFY exception for
// the answer section; it also ignores responses.
func acceptMsg(dh dns.Header) dns.MsgAcceptAction {
	return dns.DefaultMsgAcceptFunc(dh)
}

// buildLoop rebuilds the table on every view change (coalesced by the
// subscription).
func (s *Server) buildLoop(ctx context.Context) {
	ch, unsub := s.deps.Catalog.Subscribe()
	defer unsub()
	// A change between Run's first build and the subscription would
	// otherwise wait for the next change: build once more now.
	s.rebuild()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			s.rebuild()
		}
	}
}

// SetRoutes publishes the host names of rt's enabled routers that a
// passing instance backs, resolved to the alive edge nodes; names leave
// DNS with their last backend. It returns once queries see the new names.
// The route feeder calls it with every table it builds.
func (s *Server) SetRoutes(rt *routing.Table) { s.setHosts(rt.Hosts()) }

// setHosts swaps in a table whose router names are hosts, the rest
// unchanged.
func (s *Server) setHosts(hosts map[string]bool) {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if sameHosts(s.hosts, hosts) {
		return
	}
	s.hosts = hosts
	old := s.tbl.Load()
	t := *old
	t.pcache = newPacketCache()
	t.buildRouters(hosts, s.deps.Catalog)
	s.publish(&t)
}

func sameHosts(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (s *Server) emptyTable() *table {
	t := &table{domains: append([]string{s.cfg.Domain}, s.cfg.AltDomains...), dc: s.cfg.Datacenter,
		services: map[string]*service{}, nodes: map[string]*nodeRec{}, ptr: map[string]string{},
		routers: map[string]*hostRRs{}, zones: map[string]*authZone{}, serials: map[string]uint32{}, tsig: tsigKeys{}, pcache: newPacketCache()}
	t.ttl.svc, t.ttl.node, t.ttl.router, t.ttl.neg = ttl(s.cfg.ServiceTTL), ttl(s.cfg.NodeTTL), ttl(s.cfg.RouterTTL), ttl(s.cfg.NegativeTTL)
	for _, a := range s.cfg.AllowTransfer {
		if p, err := zone.ParsePrefix(a); err == nil {
			t.transfer = append(t.transfer, p)
		}
	}
	return t
}

// rebuild builds a new table from the view and swaps it in; it queues
// NOTIFYs for zones whose serial changed.
func (s *Server) rebuild() {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	cat := s.deps.Catalog
	t := s.emptyTable()
	t.rev = cat.Revision()
	compiled := map[string]*authZone{}
	zonesChanged := false
	for _, vz := range cat.Zones() {
		apex := vz.Name
		az := s.compiled[apex]
		if az == nil || az.modRev != vz.Rev {
			zonesChanged = true
			prev := az
			var err error
			if az, err = compileZone(vz); err != nil {
				s.log.Error("dns: skip zone that does not compile", "zone", apex, "err", err)
				continue
			}
			if prev != nil {
				az.journal = nextJournal(prev.journal, prev.soa, prev.records, az.soa, az.records, journalSize)
			}
		}
		compiled[apex] = az
		t.zones[apex] = az
		t.tsig.addZone(az.z.TSIGKeys)
		t.serials[apex] = az.z.Serial
	}
	zonesChanged = zonesChanged || len(compiled) != len(s.compiled)
	s.compiled = compiled
	nodesIdx := s.cache.nodesIdx
	var ptr map[string]string
	t.services, t.nodes, ptr = s.cache.update(cat, t.dc, s.cfg.AllowWarning, s.m.built)
	if s.deps.Access != nil {
		t.services, t.nodes = readable(t.services, t.nodes, s.deps.Access)
	}
	prev := s.tbl.Load()
	unmoved := !zonesChanged && nodesIdx == s.cache.nodesIdx && prev.ptr != nil
	if unmoved && s.deps.Access == nil {
		// Nothing the reverse names are made of moved.
		t.ptr = prev.ptr
	} else {
		// With ACLs a node's reverse name answers only when its forward
		// name does (the rights may have changed without the nodes).
		t.ptr = reverseNames(ptr, t.nodes, t.zoneDefines, s.deps.Access != nil)
	}
	if unmoved {
		t.routers = prev.routers
	} else {
		t.buildRouters(s.hosts, cat)
	}
	old := s.publish(t)
	for apex, serial := range t.serials {
		if prev, ok := old.serials[apex]; (!ok || prev != serial) && len(t.zones[apex].notify) > 0 {
			select {
			case s.notifyq <- notifyJob{zone: t.zones[apex]}:
			default:
				s.log.Warn("dns: notify queue full; secondaries will catch up at their refresh", "zone", apex)
			}
		}
	}
}

// publish swaps t in, wakes waitTable and returns the table it replaced.
// The caller holds buildMu.
func (s *Server) publish(t *table) *table {
	old := s.tbl.Swap(t)
	s.m.rebuilds.Inc()
	s.swapMu.Lock()
	close(s.swapCh)
	s.swapCh = make(chan struct{})
	s.swapMu.Unlock()
	return old
}

// waitTable returns once the published table was built at rev or later.
func (s *Server) waitTable(ctx context.Context, rev int64) error {
	for {
		s.swapMu.Lock()
		ch := s.swapCh
		s.swapMu.Unlock()
		if s.tbl.Load().rev >= uint64(rev) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
