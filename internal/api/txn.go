package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

// /v1/txn applies KV, node, service and check operations as one etcd
// transaction, with Consul's verbs, results, error texts and limits.
// txnapply.go decides each operation over what the transaction read
// (txnReader); txnstore.go reads etcd and commits, conditioned on every
// key and prefix it read.

// maxTxnOps is Consul's limit of operations in one transaction.
const maxTxnOps = 64

// txnOpIn is one operation as Consul's api.TxnOp encodes it.
type txnOpIn struct {
	KV      *txnKVIn
	Node    *txnNodeIn
	Service *txnServiceIn
	Check   *txnCheckIn
}

type txnKVIn struct {
	Verb    string
	Key     string
	Value   []byte
	Flags   uint64
	Index   uint64
	Session string
}

type txnNodeIn struct {
	Verb string
	Node struct {
		ID              string
		Node            string
		Address         string
		Datacenter      string
		TaggedAddresses map[string]string
		Meta            map[string]string
		ModifyIndex     uint64
	}
}

type txnServiceIn struct {
	Verb    string
	Node    string
	Service struct {
		serviceIn
		ModifyIndex uint64
	}
}

type txnCheckIn struct {
	Verb  string
	Check struct {
		Node        string
		CheckID     string
		Name        string
		Status      string
		Notes       string
		Output      string
		ServiceID   string
		Definition  *checkIn
		ModifyIndex uint64
	}
}

// txnResultJSON is one result (Consul's TxnResult).
type txnResultJSON struct {
	KV      *kvJSON           `json:",omitempty"`
	Node    *nodeJSON         `json:",omitempty"`
	Service *agentServiceJSON `json:",omitempty"`
	Check   *healthCheckJSON  `json:",omitempty"`
}

// txnErrorJSON is one failed operation (Consul's TxnError).
type txnErrorJSON struct {
	OpIndex int
	What    string
}

type txnResponseJSON struct {
	Results []*txnResultJSON
	Errors  []*txnErrorJSON
}

func (s *Server) txn(w http.ResponseWriter, r *http.Request) error {
	tooLarge := func() error {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		fmt.Fprintf(w, "Request body too large, max size: %d bytes", maxKVValue)
		return nil
	}
	if r.ContentLength > maxKVValue {
		return tooLarge()
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxKVValue))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		return httpkit.BadRequest("Failed to parse body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(data))
	var in []*txnOpIn
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if len(in) > maxTxnOps {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		fmt.Fprintf(w, "Transaction contains too many operations (%d > %d)", len(in), maxTxnOps)
		return nil
	}
	ops, err := s.txnOps(in)
	if err != nil {
		return err
	}
	var denied []*txnErrorJSON
	for i, op := range ops {
		if err := s.authorize(r, op.rule()); err != nil {
			if errors.Is(err, acl.ErrNotFound) {
				return err // an unknown token is refused whole, as by Consul
			}
			denied = append(denied, &txnErrorJSON{OpIndex: i, What: httpkit.Public(err, http.StatusForbidden)})
		}
	}
	if len(denied) > 0 {
		return httpkit.WriteJSON(w, r, http.StatusConflict, txnResponseJSON{Errors: denied})
	}
	res, errs, err := s.runTxn(r.Context(), ops)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return httpkit.WriteJSON(w, r, http.StatusConflict, txnResponseJSON{Errors: errs})
	}
	httpkit.SetMeta(w, httpkit.Consul, httpkit.Meta{KnownLeader: s.knownLeader(r.Context())})
	return httpkit.WriteJSON(w, r, http.StatusOK, txnResponseJSON{Results: res})
}

// txnOp is a decoded operation; exactly one of kv, node, svc and check is
// set. Catalog operations carry the catalog types their registration
// builds (with the same defaults and checks as /v1/catalog/register).
type txnOp struct {
	verb  string
	kv    *txnKVIn
	node  *catalog.Node
	svc   *txnSvc
	check *catalog.Check
	index uint64 // the ModifyIndex of cas verbs
}

// txnSvc is a service operation: the instance (its ID and Node at least).
type txnSvc struct {
	node string
	inst *catalog.Instance
}

// rule is the permission an operation needs.
func (op *txnOp) rule() acl.Rule {
	access := acl.Write
	if isTxnRead(op.verb) {
		access = acl.Read
	}
	switch {
	case op.kv != nil:
		return acl.Rule{Resource: acl.Key, Segment: op.kv.Key, Access: access}
	case op.node != nil:
		return acl.Rule{Resource: acl.Node, Segment: op.node.Name, Access: access}
	case op.svc != nil && access == acl.Write && op.svc.inst.Name != "":
		return acl.Rule{Resource: acl.Service, Segment: op.svc.inst.Name, Access: access}
	case op.svc != nil:
		return acl.Rule{Resource: acl.Node, Segment: op.svc.node, Access: acl.Read}
	default:
		return acl.Rule{Resource: acl.Node, Segment: op.check.Node, Access: access}
	}
}

// isTxnRead reports whether verb only reads.
func isTxnRead(verb string) bool {
	switch verb {
	case "get", "get-tree", "get-or-empty", "check-index", "check-session", "check-not-exists":
		return true
	}
	return false
}

// txnOps validates and converts the operations: each names exactly one
// kind, and catalog writes build as their registrations would.
func (s *Server) txnOps(in []*txnOpIn) ([]*txnOp, error) {
	out := make([]*txnOp, 0, len(in))
	for i, o := range in {
		if o == nil {
			return nil, httpkit.BadRequest("operation %d is empty", i)
		}
		op, err := s.txnOp(o)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		out = append(out, op)
	}
	return out, nil
}

func (s *Server) txnOp(o *txnOpIn) (*txnOp, error) {
	switch {
	case o.KV != nil:
		if len(o.KV.Value) > maxKVValue {
			return nil, httpkit.Errorf(http.StatusRequestEntityTooLarge, "Value for key %q is too large (%d > %d bytes)", o.KV.Key, len(o.KV.Value), maxKVValue)
		}
		return &txnOp{verb: o.KV.Verb, kv: o.KV, index: o.KV.Index}, nil
	case o.Node != nil:
		n := o.Node.Node
		if n.Datacenter != "" && n.Datacenter != s.cfg.Datacenter {
			return nil, httpkit.BadRequest("No path to datacenter %q", n.Datacenter)
		}
		if n.Node == "" && (o.Node.Verb != "get" || n.ID == "") {
			return nil, httpkit.BadRequest("Must provide node")
		}
		node := &catalog.Node{Name: n.Node, ID: n.ID, Address: n.Address, Datacenter: s.cfg.Datacenter,
			TaggedAddresses: n.TaggedAddresses, Meta: n.Meta}
		return &txnOp{verb: o.Node.Verb, node: node, index: n.ModifyIndex}, nil
	case o.Service != nil:
		return s.txnServiceOp(o.Service)
	case o.Check != nil:
		return s.txnCheckOp(o.Check)
	}
	return nil, httpkit.BadRequest("no operation specified (want one of KV, Node, Service, Check)")
}

func (s *Server) txnServiceOp(o *txnServiceIn) (*txnOp, error) {
	if o.Node == "" {
		return nil, httpkit.BadRequest("Must provide node")
	}
	sv := o.Service.serviceIn
	op := &txnOp{verb: o.Verb, index: o.Service.ModifyIndex}
	if o.Verb != "set" && o.Verb != "cas" {
		if sv.ID == "" {
			return nil, httpkit.BadRequest("Must provide service ID")
		}
		op.svc = &txnSvc{node: o.Node, inst: &catalog.Instance{Node: o.Node, ID: sv.ID, Name: sv.Service}}
		return op, nil
	}
	sv.Check, sv.Checks = nil, nil
	inst, _, err := s.toInstance(o.Node, &sv)
	if err != nil {
		return nil, err
	}
	op.svc = &txnSvc{node: o.Node, inst: inst}
	return op, nil
}

func (s *Server) txnCheckOp(o *txnCheckIn) (*txnOp, error) {
	c := o.Check
	if c.Node == "" {
		return nil, httpkit.BadRequest("Must provide node")
	}
	op := &txnOp{verb: o.Verb, index: c.ModifyIndex}
	if o.Verb != "set" && o.Verb != "cas" {
		if c.CheckID == "" {
			return nil, httpkit.BadRequest("Must provide check ID")
		}
		op.check = &catalog.Check{Node: c.Node, CheckID: c.CheckID}
		return op, nil
	}
	d := &checkIn{CheckID: c.CheckID, Name: c.Name, Status: c.Status, Notes: c.Notes, Output: c.Output,
		ServiceID: c.ServiceID, Definition: c.Definition}
	chk, err := s.toCheck(c.Node, d, false)
	if err != nil {
		return nil, err
	}
	if chk.CheckID == "" {
		chk.CheckID = chk.Name
	}
	if err := chk.Validate(); err != nil {
		return nil, httpkit.BadRequest("%v", err)
	}
	op.check = chk
	return op, nil
}
