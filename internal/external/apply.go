package external

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/importer"
	"github.com/orbit/orbit/internal/store"
)

// ImportPath is where the import handler is mounted.
const ImportPath = "/v1/import/apply"

// maxPlan bounds an import plan's body.
const maxPlan = 32 << 20

// Txner applies writes atomically. *store.Store satisfies it.
type Txner interface {
	Txn(ctx context.Context, cmps []store.Cmp, ops []store.Op) (bool, int64, error)
}

// Waiter returns once the local view includes a revision (read your
// writes), and reads nodes so that an import never overwrites an agent's.
// *view.View satisfies it.
type Waiter interface {
	WaitRevision(ctx context.Context, rev int64) error
	Node(name string) (*catalog.Node, bool)
}

// Applied is the answer of an import: what was written, at which revision.
type Applied struct {
	Revision  int64 `json:"Revision"`
	Nodes     int   `json:"Nodes"`
	Instances int   `json:"Instances"`
	Checks    int   `json:"Checks"`
	KV        int   `json:"KV"`
}

// ImportHandler serves POST ImportPath: it writes a plan's nodes,
// instances, checks and KV pairs in one etcd transaction (all or none),
// after validating every one of them.
type ImportHandler struct {
	kit  *httpkit.Kit
	txn  Txner
	wait Waiter
}

// NewImportHandler builds the handler.
func NewImportHandler(txn Txner, wait Waiter, log *slog.Logger, clock clockwork.Clock) *ImportHandler {
	return &ImportHandler{kit: &httpkit.Kit{Log: log, Clock: clock}, txn: txn, wait: wait}
}

func (h *ImportHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.kit.Handle(h.apply).ServeHTTP(w, r)
}

func (h *ImportHandler) apply(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		return httpkit.Errorf(http.StatusMethodNotAllowed, "use POST %s with an import plan", ImportPath)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxPlan+1))
	if err != nil {
		return httpkit.BadRequest("read plan: %v", err)
	}
	if len(data) > maxPlan {
		return httpkit.Errorf(http.StatusRequestEntityTooLarge, "import plan is larger than %d bytes", maxPlan)
	}
	var p importer.Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return httpkit.BadRequest("import plan: %v", err)
	}
	for _, n := range p.Nodes {
		if n == nil {
			continue
		}
		if cur, ok := h.wait.Node(n.Name); ok && cur.Agent {
			return httpkit.Errorf(http.StatusConflict, "node %q is an orbit agent: an import writes external nodes only; register its services with that agent", n.Name)
		}
	}
	ops, err := PlanOps(&p)
	if err != nil {
		return httpkit.BadRequest("%v", err)
	}
	out := Applied{Nodes: len(p.Nodes), Instances: len(p.Instances), Checks: len(p.Checks), KV: len(p.KV)}
	if len(ops) > 0 {
		_, rev, err := h.txn.Txn(r.Context(), nil, ops)
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		if err := h.wait.WaitRevision(ctx, rev); err != nil {
			return fmt.Errorf("import: wait for the view: %w", err)
		}
		out.Revision = rev
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, out)
}

// PlanOps validates a plan's catalog part and KV pairs and returns the
// writes of its transaction. An instance or check must be on a node of the
// plan, so that nothing lands on an agent's node by accident.
func PlanOps(p *importer.Plan) ([]store.Op, error) {
	nodes := map[string]bool{}
	var ops []store.Op
	for _, n := range p.Nodes {
		if n == nil {
			return nil, errors.New("a node is null")
		}
		n.Agent, n.Roles = false, nil
		if err := n.Validate(); err != nil {
			return nil, err
		}
		nodes[n.Name] = true
		ops = append(ops, store.Put(store.NodeKey(n.Name), mustJSON(n)))
	}
	instances := map[string]bool{}
	for _, in := range p.Instances {
		if in == nil {
			return nil, errors.New("an instance is null")
		}
		if !nodes[in.Node] {
			return nil, fmt.Errorf("instance %q: node %q is not in the plan", in.ID, in.Node)
		}
		if err := in.Validate(); err != nil {
			return nil, err
		}
		instances[in.Node+"/"+in.ID] = true
		ops = append(ops, store.Put(store.InstanceKey(in.Node, in.ID), mustJSON(in)))
	}
	for _, c := range p.Checks {
		if c == nil {
			return nil, errors.New("a check is null")
		}
		if !nodes[c.Node] {
			return nil, fmt.Errorf("check %q: node %q is not in the plan", c.CheckID, c.Node)
		}
		if c.ServiceID != "" && !instances[c.Node+"/"+c.ServiceID] {
			return nil, fmt.Errorf("check %q: service %q is not in the plan", c.CheckID, c.ServiceID)
		}
		if c.Status == "" {
			c.Status = catalog.Critical
		}
		c.Definition.SetDefaults()
		if err := c.Validate(); err != nil {
			return nil, err
		}
		ops = append(ops, store.Put(store.CheckKey(c.Node, c.CheckID), mustJSON(c)))
	}
	for _, kv := range p.KV {
		if kv.Key == "" {
			return nil, errors.New("a KV pair has no key")
		}
		ops = append(ops, store.Put(store.KVKey(kv.Key), catalog.EncodeKV(kv.Flags, kv.Value)))
	}
	return ops, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Catalog types hold only marshalable fields.
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return b
}
