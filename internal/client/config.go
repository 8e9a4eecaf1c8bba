package client

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Config configures a Client. NodeName and DataDir are required; every
// other zero value is a working default.
type Config struct {
	// NodeName is the catalog node name; allocations with this Node run here.
	NodeName string
	// NodeID is node.unique.id; "" uses a UUID kept in DataDir.
	NodeID string
	// DataDir holds allocation directories (DataDir/alloc/<id>) and the
	// client's state (DataDir/client): task handles, ports, node id.
	DataDir string
	// Address is the IP tasks bind their ports on and services advertise;
	// "" means 127.0.0.1.
	Address    string
	Datacenter string // "" means dc1
	Region     string // "" means global
	NodeClass  string
	NodePool   string
	// Meta is the operator's node metadata (${meta.x}).
	Meta map[string]string
	// HostVolumes are the directories groups may mount by name.
	HostVolumes map[string]job.HostVolume
	// HostNetworks are the networks ports may pick by name (Nomad's
	// host_network blocks); fingerprinting finds the node's address on
	// each. Ports without one bind on Address.
	HostNetworks map[string]job.HostNetwork
	// HTTPAddr is this agent's API host:port, advertised in NodeInfo.
	HTTPAddr string
	// ReservedPorts are host ports never handed out as static ports.
	ReservedPorts []int
	// PortMin and PortMax bound dynamic ports; 0 means 20000 and 32000.
	PortMin, PortMax int
	// StopOnShutdown stops every task when Run ends (dev agents). By
	// default tasks keep running and a restarted agent re-attaches.
	StopOnShutdown bool
	// FingerprintInterval is how often drivers are fingerprinted again;
	// 0 means 30s.
	FingerprintInterval time.Duration
	// Version is reported as orbit.version.
	Version string

	Clock      clockwork.Clock       // nil: the wall clock
	Logger     *slog.Logger          // nil: discard
	Registerer prometheus.Registerer // nil: no metrics
}

// Validate reports a config that cannot run.
func (c *Config) Validate() error {
	if c.NodeName == "" {
		return errors.New("client: node name is required")
	}
	if c.DataDir == "" {
		return errors.New("client: data dir is required")
	}
	if c.PortMin < 0 || c.PortMax < 0 || (c.PortMax != 0 && c.PortMax < c.PortMin) {
		return errors.New("client: invalid dynamic port range")
	}
	return ValidateHostNetworks(c.HostNetworks)
}

func (c Config) withDefaults() Config {
	if c.Address == "" {
		c.Address = "127.0.0.1"
	}
	if c.Datacenter == "" {
		c.Datacenter = "dc1"
	}
	if c.Region == "" {
		c.Region = job.DefaultRegion
	}
	if c.PortMin == 0 {
		c.PortMin = job.DynamicPortMin
	}
	if c.PortMax == 0 {
		c.PortMax = job.DynamicPortMax
	}
	if c.FingerprintInterval == 0 {
		c.FingerprintInterval = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = clockwork.NewRealClock()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// View is what the client reads: its node's allocations (by the view's
// node index) and their reports, job versions, its node's instances and
// checks, KV and services for templates, and a signal after every change.
// *view.View satisfies it.
type View interface {
	TemplateSource
	NodeAllocs(node string) []view.AllocState
	AllocStatus(id string) (view.Item[job.AllocStatus], bool)
	JobVersion(ns, id string, version uint64) (view.Item[job.Version], bool)
	Index(res view.Resource) uint64
	Subscribe() (<-chan struct{}, func())
	NodeInstances(node string) []*catalog.Instance
	Instance(node, id string) (*catalog.Instance, bool)
	Check(node, id string) (*catalog.Check, bool)
}

var _ View = (*view.View)(nil)

// Store is where the client writes: its allocations' status, its node's
// fingerprint, its allocations' service registrations, and the sessions
// and locks of its active-passive allocations.
// *store.Store satisfies it.
type Store interface {
	PutAllocStatuses(ctx context.Context, sts []*job.AllocStatus) (int64, error)
	PutNodeInfo(ctx context.Context, n *job.NodeInfo) (int64, error)
	RegisterInstance(ctx context.Context, node *catalog.Node, in *catalog.Instance, checks []*catalog.Check) (int64, error)
	DeregisterInstance(ctx context.Context, node, id string) (bool, int64, error)
	// Sessions and locks of active-passive groups.
	CreateSession(ctx context.Context, se *catalog.Session, lease int64) (int64, error)
	RenewSession(ctx context.Context, id string) (*catalog.Session, error)
	DestroySession(ctx context.Context, id string, now time.Time) (int64, error)
	KVAcquire(ctx context.Context, key string, flags uint64, value []byte, session string, now time.Time) (bool, int64, error)
}

var _ Store = (*store.Store)(nil)

// Deps are the client's collaborators.
type Deps struct {
	View  View
	Store Store
	// Drivers are the task drivers this node offers (raw_exec, exec,
	// docker); only those whose fingerprint is healthy run tasks.
	Drivers []driver.Driver
	// Identity signs the tasks' workload identities (identity blocks with
	// env or file); nil on agents without one.
	Identity IdentitySigner
	// ConsulTokens derives the Consul tokens of identities with audience
	// consul.io; nil on agents without one (the tasks get none).
	ConsulTokens ConsulTokens
	// TemplateAccess, when set, limits what a task's templates read to
	// what its Consul token may read (nil: templates read everything).
	TemplateAccess TemplateAccess
}
