package consul_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestTxnKVLockAndCatalog drives /v1/txn through consul/api's Txn(): a
// failed transaction reports every failed operation with Consul's texts
// and writes nothing; a good one writes KV, node, service and check at
// one index; deletes and cas verbs behave as Consul's.
func TestTxnKVLockAndCatalog(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	txn := c.Txn()

	sid, _, err := c.Session().CreateNoChecks(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lockAndGet := capi.TxnOps{
		{KV: &capi.KVTxnOp{Verb: capi.KVLock, Key: "app/leader", Value: []byte("me")}},
		{KV: &capi.KVTxnOp{Verb: capi.KVGet, Key: "app/leader"}},
		{KV: &capi.KVTxnOp{Verb: capi.KVSet, Key: "app/other", Value: []byte("x")}},
	}
	ok, ret, _, err := txn.Txn(lockAndGet, nil)
	if err != nil || ok {
		t.Fatalf("txn without session: ok=%v err=%v", ok, err)
	}
	if len(ret.Errors) != 2 || len(ret.Results) != 0 || ret.Errors[0].OpIndex != 0 || ret.Errors[0].What != "missing session" ||
		ret.Errors[1].OpIndex != 1 || ret.Errors[1].What != `key "app/leader" doesn't exist` {
		t.Fatalf("errors: %+v", ret.Errors)
	}
	if p, _, err := c.KV().Get("app/other", nil); err != nil || p != nil {
		t.Fatalf("a failed transaction wrote: %v %v", p, err)
	}

	lockAndGet[0].KV.Session = sid
	ok, ret, _, err = txn.Txn(lockAndGet, nil)
	if err != nil || !ok || len(ret.Results) != 3 {
		t.Fatalf("txn: ok=%v err=%v ret=%+v", ok, err, ret)
	}
	lock, got := ret.Results[0].KV, ret.Results[1].KV
	if lock.Session != sid || lock.LockIndex != 1 || lock.Value != nil || got.Session != sid || string(got.Value) != "me" ||
		lock.ModifyIndex == 0 || got.ModifyIndex != lock.ModifyIndex || ret.Results[2].KV.ModifyIndex != lock.ModifyIndex {
		t.Fatalf("lock %+v get %+v", lock, got)
	}
	p, _, err := c.KV().Get("app/leader", nil)
	if err != nil || p == nil || p.Session != sid || p.LockIndex != 1 {
		t.Fatalf("kv after lock: %+v %v", p, err)
	}
	// The lock is the session's: destroying it releases the key.
	other, _, err := c.Session().CreateNoChecks(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok, ret, _, err = txn.Txn(capi.TxnOps{{KV: &capi.KVTxnOp{Verb: capi.KVLock, Key: "app/leader", Session: other}}}, nil)
	if err != nil || ok || ret.Errors[0].What != `failed to lock key "app/leader", lock is already held` {
		t.Fatalf("second holder: ok=%v %+v %v", ok, ret, err)
	}
	ok, ret, _, err = txn.Txn(capi.TxnOps{
		{KV: &capi.KVTxnOp{Verb: capi.KVCAS, Key: "app/other", Index: p.ModifyIndex - 1, Value: []byte("y")}},
		{KV: &capi.KVTxnOp{Verb: capi.KVCheckNotExists, Key: "app/leader"}},
		{KV: &capi.KVTxnOp{Verb: "bogus", Key: "k"}},
	}, nil)
	if err != nil || ok || len(ret.Errors) != 3 || ret.Errors[0].What != `failed to set key "app/other", index is stale` ||
		ret.Errors[1].What != `key "app/leader" exists` || ret.Errors[2].What != `unknown KV verb "bogus"` {
		t.Fatalf("cas/check-not-exists: ok=%v %+v %v", ok, ret, err)
	}

	// Catalog operations: a node, its service and a service check in one
	// transaction, read back through the catalog and health endpoints.
	ok, ret, _, err = txn.Txn(capi.TxnOps{
		{Node: &capi.NodeTxnOp{Verb: capi.NodeSet, Node: capi.Node{Node: "ext1", Address: "127.0.0.2", Meta: map[string]string{"rack": "r1"}}}},
		{Service: &capi.ServiceTxnOp{Verb: capi.ServiceSet, Node: "ext1", Service: capi.AgentService{ID: "db1", Service: "db", Port: 5432, Tags: []string{"primary"}}}},
		{Check: &capi.CheckTxnOp{Verb: capi.CheckSet, Check: capi.HealthCheck{Node: "ext1", CheckID: "db1-alive", ServiceID: "db1", Status: capi.HealthPassing,
			Definition: capi.HealthCheckDefinition{TCP: "127.0.0.2:5432", IntervalDuration: 10 * time.Second}}}},
		{Service: &capi.ServiceTxnOp{Verb: capi.ServiceSet, Node: "ghost", Service: capi.AgentService{ID: "x", Service: "x"}}},
	}, nil)
	if err != nil || ok || len(ret.Errors) != 1 || ret.Errors[0].OpIndex != 3 || ret.Errors[0].What != "Missing node registration" {
		t.Fatalf("service on a missing node: ok=%v %+v %v", ok, ret, err)
	}
	if _, _, err := c.Catalog().Node("ext1", nil); err != nil {
		t.Fatal(err)
	}
	ok, ret, _, err = txn.Txn(capi.TxnOps{
		{Node: &capi.NodeTxnOp{Verb: capi.NodeSet, Node: capi.Node{Node: "ext1", Address: "127.0.0.2", Meta: map[string]string{"rack": "r1"}}}},
		{Service: &capi.ServiceTxnOp{Verb: capi.ServiceSet, Node: "ext1", Service: capi.AgentService{ID: "db1", Service: "db", Port: 5432, Tags: []string{"primary"}}}},
		{Check: &capi.CheckTxnOp{Verb: capi.CheckSet, Check: capi.HealthCheck{Node: "ext1", CheckID: "db1-alive", ServiceID: "db1", Status: capi.HealthPassing,
			Definition: capi.HealthCheckDefinition{TCP: "127.0.0.2:5432", IntervalDuration: 10 * time.Second}}}},
	}, nil)
	if err != nil || !ok || len(ret.Results) != 3 {
		t.Fatalf("catalog txn: ok=%v %+v %v", ok, ret, err)
	}
	n, s, chk := ret.Results[0].Node, ret.Results[1].Service, ret.Results[2].Check
	if n.Node != "ext1" || n.Datacenter != "dc1" || n.Meta["rack"] != "r1" || s.Weights != (capi.AgentWeights{Passing: 1, Warning: 1}) ||
		chk.ServiceName != "db" || len(chk.ServiceTags) != 1 || chk.Type != "tcp" || chk.Definition.IntervalDuration != 10*time.Second ||
		n.ModifyIndex != s.ModifyIndex || s.ModifyIndex != chk.ModifyIndex {
		t.Fatalf("results: node %+v service %+v check %+v", n, s, chk)
	}
	entries, _, err := c.Health().Service("db", "", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Node.Node != "ext1" || entries[0].Service.Port != 5432 {
		t.Fatalf("health after txn: %+v %v", entries, err)
	}

	// Deleting the service takes its checks; a stale delete-cas fails.
	ok, ret, _, err = txn.Txn(capi.TxnOps{
		{Service: &capi.ServiceTxnOp{Verb: capi.ServiceDeleteCAS, Node: "ext1", Service: capi.AgentService{ID: "db1", ModifyIndex: s.ModifyIndex - 1}}},
	}, nil)
	if err != nil || ok || ret.Errors[0].What != `failed to delete service "db1" on node "ext1", index is stale` {
		t.Fatalf("stale delete-cas: ok=%v %+v %v", ok, ret, err)
	}
	ok, _, _, err = txn.Txn(capi.TxnOps{
		{Service: &capi.ServiceTxnOp{Verb: capi.ServiceDeleteCAS, Node: "ext1", Service: capi.AgentService{ID: "db1", ModifyIndex: s.ModifyIndex}}},
	}, nil)
	if err != nil || !ok {
		t.Fatalf("delete-cas: ok=%v %v", ok, err)
	}
	checks, _, err := c.Health().Node("ext1", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hc := range checks {
		if hc.CheckID == "db1-alive" {
			t.Fatalf("the deleted service's check stayed: %+v", hc)
		}
	}
	ok, ret, _, err = txn.Txn(capi.TxnOps{{Check: &capi.CheckTxnOp{Verb: capi.CheckGet, Check: capi.HealthCheck{Node: "ext1", CheckID: "db1-alive"}}}}, nil)
	if err != nil || ok || ret.Errors[0].What != `check "db1-alive" on node "ext1" doesn't exist` {
		t.Fatalf("check get: ok=%v %+v %v", ok, ret, err)
	}
}

// TestTxnLimits checks Consul's refusals: more than 64 operations, a body
// that is not a list of operations.
func TestTxnLimits(t *testing.T) {
	a := testagent.Start(t)
	var b strings.Builder
	b.WriteString("[")
	for i := range 65 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"KV":{"Verb":"get","Key":"k%d"}}`, i)
	}
	b.WriteString("]")
	code, body := do(t, http.MethodPut, "http://"+a.HTTPAddr().String()+"/v1/txn", b.String())
	if code != http.StatusRequestEntityTooLarge || body != "Transaction contains too many operations (65 > 64)" {
		t.Fatalf("65 ops: %d %q", code, body)
	}
	if code, body := do(t, http.MethodPut, "http://"+a.HTTPAddr().String()+"/v1/txn", `{"KV":1}`); code != http.StatusBadRequest {
		t.Fatalf("not a list: %d %q", code, body)
	}
	if code, body := do(t, http.MethodPut, "http://"+a.HTTPAddr().String()+"/v1/txn", `[{}]`); code != http.StatusBadRequest || !strings.Contains(body, "no operation specified") {
		t.Fatalf("empty op: %d %q", code, body)
	}
}
