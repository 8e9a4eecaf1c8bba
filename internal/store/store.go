package store

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
)

// Config chooses between an embedded member and an external cluster.
type Config struct {
	// Endpoints of an external etcd cluster ("host:port" or URLs). Empty
	// runs an embedded member in DataDir.
	Endpoints []string
	// DataDir holds the embedded member's WAL and database (required when
	// embedded).
	DataDir string
	// Name of the embedded member; defaults to "orbit".
	Name string
	// ClientAddr and PeerAddr are the embedded member's listen addresses.
	// Empty picks free loopback ports on first start and reuses them after.
	ClientAddr, PeerAddr string
	// AdvertiseHost replaces an unspecified listen host (0.0.0.0) in the
	// URLs the member advertises; usually the agent's bind address.
	AdvertiseHost string
	// QuotaBytes is the backend quota; 0 means 512 MiB, enough for a homelab.
	QuotaBytes int64
	// SnapshotCount is the number of entries between snapshots; 0 means 5000,
	// which keeps the WAL replay and idle memory small.
	SnapshotCount uint64
	// Join, when set, makes a new embedded member join an existing cluster
	// through it (as a learner, promoted once caught up) instead of forming
	// a one-member cluster. A member whose data directory holds a WAL
	// restarts into the cluster it belongs to and ignores Join.
	Join Joiner
	// ForceNewCluster restarts the member in DataDir as the only member of
	// a new cluster that keeps its data (etcd's --force-new-cluster): the
	// recovery of a cluster that lost its quorum for good. See ResetCluster.
	ForceNewCluster bool
	// TLS, when set, serves the embedded member's client and peer URLs
	// over TLS with client-certificate authentication (see TLSFiles).
	TLS *TLSFiles
	// ClientTLS, when set, is the TLS configuration of the connection to
	// an external cluster (the agent's node certificate, the servers' CA).
	ClientTLS *tls.Config
	Logger    *slog.Logger
}

// TLSFiles are the PEM files of an embedded member serving TLS. etcd reads
// the certificate and key at each handshake, so a renewed certificate
// written over them is used without a restart.
type TLSFiles struct {
	// CAFile is the CA every client and peer certificate must be signed by.
	CAFile string
	// CertFile and KeyFile are the member's certificate (usable as a
	// server and a client: peers dial each other with it) and key.
	CertFile, KeyFile string
}

// Store is an open connection to etcd, embedded or external.
type Store struct {
	client    *clientv3.Client
	etcd      *embed.Etcd // nil when external
	clientURL string
	log       *slog.Logger
	guard     *guard // bounds requests while there is no quorum
	probes    probeClient
	closeOnce sync.Once
	// seal is the servers' key for secrets at rest (nil: not a server).
	seal atomic.Pointer[SealKey]
}

// ErrNotFound is returned by Get for a missing key.
var ErrNotFound = errors.New("not found")

// Open starts the embedded member or connects to the external cluster and
// waits until it serves requests or ctx ends.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(cfg.Endpoints) > 0 {
		return openExternal(ctx, cfg, log)
	}
	return openEmbedded(ctx, cfg, log)
}

func openExternal(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	eps := make([]string, len(cfg.Endpoints))
	for i, e := range cfg.Endpoints {
		e = strings.TrimPrefix(e, "etcd://")
		if _, hostPort, ok := strings.Cut(e, "://"); ok {
			e = hostPort
		}
		eps[i] = e
	}
	c, err := clientv3.New(clientv3.Config{
		TLS:         cfg.ClientTLS,
		Endpoints:   eps,
		DialTimeout: 5 * time.Second,
		// The client follows the cluster's membership, so it holds every
		// server's client URL and fails over between them.
		AutoSyncInterval: 30 * time.Second,
		Context:          context.WithoutCancel(ctx),
		Logger:           nil,
		// Room for a snapshot restore's one transaction (see Restore).
		MaxCallSendMsgSize: maxRequestBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", eps, err)
	}
	if err := anyAnswers(ctx, c, eps); err != nil {
		c.Close()
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Sync(sctx); err != nil {
		log.Warn("etcd endpoints not synced with the member list yet; using the given ones", "endpoints", eps, "err", err)
	}
	log.Info("connected to external etcd", "endpoints", c.Endpoints())
	g := newGuard(nil, 0)
	guardClient(c, g)
	scheme := "http://"
	if cfg.ClientTLS != nil {
		scheme = "https://"
	}
	return &Store{client: c, clientURL: scheme + eps[0], log: log, guard: g}, nil
}

// anyAnswers waits until one of eps answers a status request: a client of
// several servers starts while any one of them is up.
func anyAnswers(ctx context.Context, c *clientv3.Client, eps []string) error {
	var errs []error
	for _, ep := range eps {
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := c.Status(sctx, ep)
		cancel()
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", ep, err))
	}
	return fmt.Errorf("no etcd endpoint answers (is a server running?): %w", errors.Join(errs...))
}

// Limits of one request to the embedded member, sized for a snapshot
// restore (see Restore).
const (
	maxTxnOps       = 1 << 17
	maxRequestBytes = 64 << 20
)

// ports are persisted so a restarted member keeps its advertised URLs.
type ports struct {
	Client string `json:"client"`
	Peer   string `json:"peer"`
}

func openEmbedded(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("embedded store needs a data directory")
	}
	dir := filepath.Join(cfg.DataDir, "etcd")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	// Free ports are picked by listening on port 0 and closing; anything
	// can take one before etcd binds it. When both ports were picked now
	// (a new data directory, none configured), pick again.
	// A joining member's peer URL is in the cluster once added, so it is
	// never picked again.
	file := portsFile(cfg)
	_, statErr := os.Stat(file)
	restart := hasWAL(dir)
	if cfg.ForceNewCluster && !restart {
		return nil, fmt.Errorf("%w: no store member in %s", ErrNothingToReset, dir)
	}
	join := cfg.Join != nil && !restart
	picked := errors.Is(statErr, fs.ErrNotExist) && cfg.ClientAddr == "" && cfg.PeerAddr == "" && !join
	for attempt := 1; ; attempt++ {
		p, err := choosePorts(cfg)
		if err != nil {
			return nil, err
		}
		s, err := startEmbedded(ctx, cfg, dir, p, join, log)
		if err != nil && join && attempt < 10 && strings.Contains(err.Error(), "member count is unequal") {
			// The peer etcd asked for the cluster has not applied this
			// member's addition yet (it joined moments ago itself). Nothing
			// was written: start again, and the join finds itself added.
			log.Info("embedded etcd: a peer has not applied this member's addition yet; starting again", "err", err)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Second):
			}
			continue
		}
		if err == nil || !picked || attempt == 5 || !errors.Is(err, syscall.EADDRINUSE) {
			return s, err
		}
		log.Warn("embedded etcd: a port picked for it was taken before it bound it; picking others", "err", err)
		if err := os.Remove(file); err != nil {
			return nil, fmt.Errorf("forget taken ports: %w", err)
		}
	}
}

// hasWAL reports whether dir holds a member's write-ahead log, that is,
// whether the member has been started before and knows its cluster.
func hasWAL(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "member", "wal"))
	return err == nil
}

// startEmbedded starts the member on p (joining through cfg.Join when join
// is set) and waits until it is ready and, after a join, a voter.
func startEmbedded(ctx context.Context, cfg Config, dir string, p ports, join bool, log *slog.Logger) (*Store, error) {
	ec := embed.NewConfig()
	ec.Name = cfg.Name
	if ec.Name == "" {
		ec.Name = "orbit"
	}
	ec.Dir = dir
	// etcd logs expected shutdown races at error level; real failures
	// surface as errors from StartEtcd and the client.
	ec.LogLevel = "fatal"
	ec.QuotaBackendBytes = cfg.QuotaBytes
	if ec.QuotaBackendBytes == 0 {
		ec.QuotaBackendBytes = 512 << 20
	}
	ec.SnapshotCount = cfg.SnapshotCount
	if ec.SnapshotCount == 0 {
		ec.SnapshotCount = 5000
	}
	ec.SnapshotCatchUpEntries = 1000
	// A snapshot restore is one transaction (all or nothing) over the
	// whole key space: etcd's defaults (128 operations, 1.5 MiB) are far
	// below a real cluster's state.
	ec.MaxTxnOps = maxTxnOps
	ec.MaxRequestBytes = maxRequestBytes
	ec.AutoCompactionMode = "revision"
	ec.AutoCompactionRetention = "10000"
	scheme := "http://"
	var probeTLS *tls.Config
	if cfg.TLS != nil {
		scheme = "https://"
		tlsInfo := transport.TLSInfo{CertFile: cfg.TLS.CertFile, KeyFile: cfg.TLS.KeyFile,
			TrustedCAFile: cfg.TLS.CAFile, ClientCertAuth: true}
		ec.ClientTLSInfo, ec.PeerTLSInfo = tlsInfo, tlsInfo
		ec.ClientAutoTLS, ec.PeerAutoTLS = false, false
		var err error
		if probeTLS, err = tlsInfo.ClientConfig(); err != nil {
			return nil, fmt.Errorf("embedded etcd TLS: %w", err)
		}
	}
	cu, _ := url.Parse(scheme + p.Client)
	pu, _ := url.Parse(scheme + p.Peer)
	ec.ListenClientUrls = []url.URL{*cu}
	ec.AdvertiseClientUrls = []url.URL{advertised(*cu, cfg.AdvertiseHost)}
	ec.ListenPeerUrls = []url.URL{*pu}
	ec.AdvertisePeerUrls = []url.URL{advertised(*pu, cfg.AdvertiseHost)}
	ec.InitialCluster = ec.InitialClusterFromName(ec.Name)
	ec.ForceNewCluster = cfg.ForceNewCluster
	if join {
		peerURL := ec.AdvertisePeerUrls[0].String()
		initial, err := joinCluster(ctx, cfg.Join, ec.Name, peerURL, log)
		if err != nil {
			return nil, err
		}
		ec.InitialCluster = initial
		ec.ClusterState = embed.ClusterStateFlagExisting
	}

	e, err := embed.StartEtcd(ec)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", dir, err)
	}
	if err := awaitReady(ctx, e, log); err != nil {
		e.Close()
		return nil, err
	}
	log.Info("embedded etcd ready", "dir", dir, "client", p.Client, "peer", p.Peer)
	adv := advertised(*cu, cfg.AdvertiseHost)
	g := newGuard(e.Server, time.Duration(ec.ElectionMs)*time.Millisecond)
	c := v3client.New(e.Server)
	guardClient(c, g)
	s := &Store{client: c, etcd: e, clientURL: adv.String(), log: log, guard: g, probes: probeClient{tls: probeTLS}}
	// A learner (just joined, or restarted before its promotion) becomes a
	// voter before the store is handed out.
	if err := s.promote(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// awaitReady waits until the member serves, logging every 10 s while it
// waits. A member restarting into a cluster of several serves once a
// quorum of them is up, whichever they are and in whatever order they
// start, so it waits for as long as that takes rather than giving up.
func awaitReady(ctx context.Context, e *embed.Etcd, log *slog.Logger) error {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	start := time.Now()
	for {
		select {
		case <-e.Server.ReadyNotify():
			return nil
		case err := <-e.Err():
			return fmt.Errorf("embedded etcd: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			var peers []string
			for _, m := range e.Server.Cluster().Members() {
				if m.ID != e.Server.MemberID() {
					peers = append(peers, m.Name+"="+strings.Join(m.PeerURLs, ","))
				}
			}
			log.Warn("embedded etcd waiting for a quorum of its members to be up", "waited", time.Since(start).Round(time.Second),
				"members", len(peers)+1, "peers", peers)
		}
	}
}

// advertised replaces an unspecified host in u with host.
func advertised(u url.URL, host string) url.URL {
	h, port, err := net.SplitHostPort(u.Host)
	if err != nil || host == "" {
		return u
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		u.Host = net.JoinHostPort(host, port)
	}
	return u
}

func portsFile(cfg Config) string { return filepath.Join(cfg.DataDir, "etcd-ports.json") }

func choosePorts(cfg Config) (ports, error) {
	file := portsFile(cfg)
	var p ports
	if b, err := os.ReadFile(file); err == nil {
		if err := json.Unmarshal(b, &p); err != nil {
			return p, fmt.Errorf("read %s: %w", file, err)
		}
	}
	if cfg.ClientAddr != "" {
		p.Client = cfg.ClientAddr
	}
	if cfg.PeerAddr != "" {
		p.Peer = cfg.PeerAddr
	}
	var err error
	if p.Client == "" {
		if p.Client, err = freeLoopback(); err != nil {
			return p, err
		}
	}
	if p.Peer == "" {
		if p.Peer, err = freeLoopback(); err != nil {
			return p, err
		}
	}
	b, _ := json.Marshal(p)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		return p, fmt.Errorf("write %s: %w", file, err)
	}
	return p, nil
}

func freeLoopback() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ClientURL is the URL other agents use to reach this store's etcd.
func (s *Store) ClientURL() string { return s.clientURL }

// Endpoints are the client URLs the store's client uses: an external
// client's follow the cluster's members; an embedded store's is its own.
func (s *Store) Endpoints() []string {
	if s.etcd != nil {
		return []string{s.clientURL}
	}
	return s.client.Endpoints()
}

// Embedded reports whether this store runs its own etcd member.
func (s *Store) Embedded() bool { return s.etcd != nil }

// Close stops the client and, when embedded, the member (its WAL is synced
// on every commit, so nothing acknowledged is lost). Closing again is a
// no-op.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = s.client.Close()
		if errors.Is(err, context.Canceled) {
			err = nil // the in-process client reports its own cancellation
		}
		s.guard.close()
		s.probes.close()
		if s.etcd != nil {
			s.etcd.Close()
		}
	})
	return err
}

// DBUsage is the embedded member's database size and its backend quota,
// in bytes (the quota etcd refuses writes past); ok is false for an
// external cluster, whose quota this store does not know.
func (s *Store) DBUsage() (size, quota int64, ok bool) {
	if s.etcd == nil {
		return 0, 0, false
	}
	return s.etcd.Server.Backend().Size(), s.etcd.Config().QuotaBackendBytes, true
}
