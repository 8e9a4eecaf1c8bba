package api

import (
	"context"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// Reader is what the API reads: the view.
type Reader interface {
	Revision() uint64
	WaitRevision(ctx context.Context, rev int64) error
	Index(res view.Resource) uint64
	Wait(ctx context.Context, res view.Resource, index uint64) uint64
	Nodes() []*catalog.Node
	Node(name string) (*catalog.Node, bool)
	Alive(name string) bool
	Services() map[string][]string
	Instance(node, id string) (*catalog.Instance, bool)
	NodeInstances(node string) []*catalog.Instance
	Entries(service string) []view.Entry
	NodeChecks(node string) []*catalog.Check
	ServiceCheckIDs(node, serviceID string) []string
	Check(node, id string) (*catalog.Check, bool)
	ServiceChecks(service string) []*catalog.Check
	AllChecks() []*catalog.Check
	KV(key string) (*catalog.KVEntry, bool)
	KVList(prefix string) []*catalog.KVEntry
}

var _ Reader = (*view.View)(nil)

// Writer is what the API writes: the store.
type Writer interface {
	Revision(ctx context.Context) (int64, error)
	RegisterNode(ctx context.Context, n *catalog.Node, lease int64) (int64, error)
	DeregisterNode(ctx context.Context, node string) (int64, error)
	ReplaceInstance(ctx context.Context, node *catalog.Node, in *catalog.Instance, checks []*catalog.Check, oldChecks []string) (int64, error)
	RegisterCatalog(ctx context.Context, n *catalog.Node, in *catalog.Instance, checks []*catalog.Check) (int64, error)
	DeregisterInstance(ctx context.Context, node, id string) (bool, int64, error)
	RemoveInstance(ctx context.Context, node, id string, checkIDs []string) (bool, int64, error)
	PutCheck(ctx context.Context, c *catalog.Check) (int64, error)
	DeleteCheck(ctx context.Context, node, id string) (bool, int64, error)
	SetCheckStatus(ctx context.Context, node, id string, status catalog.Status, output string) (int64, bool, error)
	KVPut(ctx context.Context, key string, flags uint64, value []byte, cas *uint64) (bool, int64, error)
	KVDelete(ctx context.Context, key string, recurse bool, cas *uint64) (bool, int64, error)
	ClusterStatus(ctx context.Context) (store.Status, error)
	KnownLeader(ctx context.Context) bool
	Sessions
	Raw
}

// Raw is the store's generic half, for writes that span the catalog and KV
// (/v1/txn): read keys, and apply writes conditioned on what was read.
type Raw interface {
	Get(ctx context.Context, key string) (store.KV, error)
	List(ctx context.Context, prefix string) ([]store.KV, int64, error)
	Txn(ctx context.Context, cmps []store.Cmp, ops []store.Op) (bool, int64, error)
}

// Sessions is the store's session and KV-lock half (store/sessions.go).
type Sessions interface {
	CreateSession(ctx context.Context, se *catalog.Session, lease int64) (int64, error)
	Session(ctx context.Context, id string) (*catalog.Session, error)
	Sessions(ctx context.Context) ([]*catalog.Session, error)
	RenewSession(ctx context.Context, id string) (*catalog.Session, error)
	DestroySession(ctx context.Context, id string, now time.Time) (int64, error)
	NodeLease(ctx context.Context, node string) (int64, error)
	KVAcquire(ctx context.Context, key string, flags uint64, value []byte, session string, now time.Time) (bool, int64, error)
	KVRelease(ctx context.Context, key string, flags uint64, value []byte, session string) (bool, int64, error)
	ReapSessions(ctx context.Context, now func() time.Time) error
}

var _ Writer = (*store.Store)(nil)

// TTLUpdater takes TTL check updates (the health manager). Errors wrapping
// ErrUnknownCheck answer 404, ErrNotTTL 400.
type TTLUpdater interface {
	UpdateTTL(ctx context.Context, checkID string, status catalog.Status, output string) error
}
