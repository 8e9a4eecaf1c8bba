package agent_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/agent"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
	"github.com/orbit/orbit/internal/snapshot"
	"github.com/orbit/orbit/internal/store"
)

func consul(t *testing.T, addr string) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: addr, Token: rootToken}) // serverConfig's ACLs are on
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The status and raft operator endpoints name the servers by their API
// addresses, as consul/api reads them, and the real etcd leader leads.
func TestRaftOperatorAPI(t *testing.T) {
	s1 := testagent.StartConfig(t, serverConfig(t, "s1", ""))
	s2 := testagent.StartConfig(t, serverConfig(t, "s2", s1.Addr))
	byMember := map[uint64]*testagent.Agent{s1.Store().MemberID(): s1, s2.Store().MemberID(): s2}

	for _, s := range []*testagent.Agent{s1, s2} {
		c := consul(t, s.Addr)
		leader, err := c.Status().Leader()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		servers, _, err := s.Store().Servers(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var etcdLeader *testagent.Agent
		for _, sv := range servers {
			if sv.Leader {
				etcdLeader = byMember[sv.Member.ID]
			}
		}
		if etcdLeader == nil || leader != etcdLeader.Addr {
			t.Fatalf("%s: status/leader = %q, want the etcd leader's API address", s.Addr, leader)
		}
		peers, err := c.Status().Peers()
		sort.Strings(peers)
		want := []string{s1.Addr, s2.Addr}
		sort.Strings(want)
		if err != nil || !reflect.DeepEqual(peers, want) {
			t.Fatalf("%s: status/peers = %v %v, want %v", s.Addr, peers, err, want)
		}
	}

	// A member added but never started is listed as a non-voter and can be
	// removed by its ID.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	orbittest.Eventually(t, 30*time.Second, "etcd to accept a new member", func() bool {
		_, err := s1.Store().AddLearner(ctx, "ghost", "http://127.0.0.1:1")
		if err != nil && !errors.Is(err, store.ErrUnsettled) {
			t.Fatalf("add a learner: %v", err)
		}
		return err == nil
	})
	c := consul(t, s2.Addr)
	cfg, err := c.Operator().RaftGetConfiguration(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]capi.RaftServer{}
	leaders := 0
	for _, rs := range cfg.Servers {
		got[rs.Node] = *rs
		if rs.Leader {
			leaders++
		}
	}
	if len(cfg.Servers) != 3 || leaders != 1 || cfg.Index == 0 {
		t.Fatalf("raft configuration = %+v", cfg)
	}
	for name, s := range map[string]*testagent.Agent{"s1": s1, "s2": s2} {
		rs := got[name]
		if rs.Address != s.Addr || !rs.Voter || len(rs.ID) != 36 || rs.ProtocolVersion != "3" {
			t.Fatalf("%s in the raft configuration = %+v", name, rs)
		}
	}
	ghost := got["(unknown)"]
	if ghost.Voter || ghost.Address != "127.0.0.1:1" {
		t.Fatalf("ghost learner = %+v (configuration %+v)", ghost, cfg.Servers)
	}
	if err := c.Operator().RaftRemovePeerByID(ghost.ID, nil); err != nil {
		t.Fatalf("remove the ghost: %v", err)
	}
	cfg, err = c.Operator().RaftGetConfiguration(nil)
	if err != nil || len(cfg.Servers) != 2 {
		t.Fatalf("after removing the ghost: %+v %v", cfg, err)
	}
	err = c.Operator().RaftRemovePeerByAddress("10.9.9.9:8500", nil)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("remove an unknown address: %v, want 404", err)
	}
}

// The last voting server is not removed.
func TestRaftRemoveLastVoterRefused(t *testing.T) {
	s1 := testagent.StartConfig(t, serverConfig(t, "s1", ""))
	err := consul(t, s1.Addr).Operator().RaftRemovePeerByAddress(s1.Addr, nil)
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "last voting server") {
		t.Fatalf("remove the last voter: %v, want 409 naming the last voting server", err)
	}
	leader, err := consul(t, s1.Addr).Status().Leader()
	if err != nil || leader != s1.Addr {
		t.Fatalf("leader after the refusal = %q %v", leader, err)
	}
}

// seed writes one of each kind of data through the agent's APIs and store.
func seed(t *testing.T, a *testagent.Agent) {
	t.Helper()
	c := consul(t, a.Addr)
	if _, err := c.Catalog().Register(&capi.CatalogRegistration{Node: "ext", Address: "10.0.0.9",
		Service: &capi.AgentService{ID: "db1", Service: "db", Port: 5432, Tags: []string{"primary"}},
		Check:   &capi.AgentCheck{CheckID: "db-alive", Name: "db", ServiceID: "db1", Status: "passing"}}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := c.KV().Put(&capi.KVPair{Key: "app/k" + strconv.Itoa(i), Flags: uint64(i), Value: []byte("v" + strconv.Itoa(i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	se, _, err := c.Session().Create(&capi.SessionEntry{TTL: "30s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.KV().Acquire(&capi.KVPair{Key: "app/leader", Value: []byte("me"), Session: se}, nil); err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := a.Store().Txn(ctx, nil, []store.Op{
		store.Put(store.FamilyKey(store.FamilyJobs, "default/web/0"), []byte(`{"ID":"web"}`)),
		store.Put(store.AllocKey("a1"), []byte(`{"ID":"a1"}`)),
		store.Put(store.FamilyKey(store.FamilyZones, "example.org."), []byte(`{"Name":"example.org."}`)),
	}); err != nil {
		t.Fatal(err)
	}
}

// reconciled families are rewritten by the scheduler as it reconciles
// restored jobs with the nodes that are alive: a restore is checked to
// bring their keys back, and other families' values too.
var reconciled = map[string]bool{store.FamilyJobHead: true, store.FamilyAllocs: true, store.FamilyEvals: true,
	store.FamilyDeployments: true, store.FamilyNodeSeq: true, store.FamilyAllocStatus: true}

// state is a store's durable keys, with the values of reconciled families
// left out.
func state(kvs []store.KV) map[string]string {
	out := map[string]string{}
	for _, kv := range kvs {
		out[kv.Key] = string(kv.Value)
		if reconciled[family(kv.Key)] {
			out[kv.Key] = "(reconciled)"
		}
	}
	return out
}

// family is the key's family, also for keys SplitKey refuses (the
// scheduler's records of the seeded allocation's empty node).
func family(key string) string {
	fam, _, _ := strings.Cut(strings.TrimPrefix(key, store.Prefix), "/")
	return fam
}

func dump(t *testing.T, a *testagent.Agent) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := a.Store().Dump(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return state(d.KVs)
}

// A snapshot saved from one agent with consul/api and restored onto a
// fresh one brings every service, check, KV pair, job, allocation and zone
// back; the fresh agent stays registered.
func TestSnapshotSaveRestoreWithConsulAPI(t *testing.T) {
	src := testagent.Start(t, func(c *agent.Config) { c.NodeName = "src" })
	seed(t, src)
	rc, meta, err := consul(t, src.Addr).Snapshot().Save(nil)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || meta.LastIndex == 0 || len(archive) == 0 {
		t.Fatalf("save: %d bytes, index %d, %v", len(archive), meta.LastIndex, err)
	}
	_, d, err := snapshot.Read(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	want := state(d.KVs)

	dst := testagent.Start(t, func(c *agent.Config) { c.NodeName = "dst" })
	dc := consul(t, dst.Addr)
	if _, err := dc.KV().Put(&capi.KVPair{Key: "stale", Value: []byte("x")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := dc.Snapshot().Restore(nil, bytes.NewReader(archive)); err != nil {
		t.Fatalf("restore: %v", err)
	}
	got := dump(t, dst)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after restore %s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && k != store.NodeKey("dst") && k != store.NodeInfoKey("dst") && !reconciled[family(k)] {
			t.Errorf("after restore %s is there, not in the snapshot", k)
		}
	}
	// Through the API: the service with its check, and the lock freed.
	orbittest.Eventually(t, 10*time.Second, "the restored service", func() bool {
		es, _, err := dc.Health().Service("db", "", true, nil)
		return err == nil && len(es) == 1 && es[0].Service.Port == 5432
	})
	p, _, err := dc.KV().Get("app/leader", nil)
	if err != nil || p == nil || string(p.Value) != "me" || p.Session != "" {
		t.Fatalf("restored lock key = %+v %v, want the value without a session", p, err)
	}
	ms, err := dc.Agent().Members(false)
	alive := false
	for _, m := range ms {
		alive = alive || (m.Name == "dst" && m.Status == 1)
	}
	if err != nil || !alive {
		t.Fatalf("the restored agent's own node: %+v %v", ms, err)
	}

	// A broken archive is refused and changes nothing.
	err = dc.Snapshot().Restore(nil, bytes.NewReader(archive[:len(archive)/2]))
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("restore of a truncated archive: %v, want 400", err)
	}
	if p, _, err := dc.KV().Get("app/k3", nil); err != nil || p == nil || string(p.Value) != "v3" {
		t.Fatalf("after a refused restore app/k3 = %+v %v", p, err)
	}
}
