// Package consul_test drives a whole orbit agent with the real Consul API
// client (github.com/hashicorp/consul/api): the compatibility surface that
// Traefik, Prometheus and consul-template rely on.
package consul_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func newClient(t *testing.T, a *testagent.Agent) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: a.Addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flipper is an HTTP backend whose /health answers the code it is set to.
type flipper struct {
	code   atomic.Int32
	hits   atomic.Int64
	ok     atomic.Int64 // answers with a 2xx code
	failed atomic.Int64 // answers with a 5xx code
}

func newFlipper(t *testing.T, code int) (*flipper, *httptest.Server) {
	f := &flipper{}
	f.code.Store(int32(code))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.hits.Add(1)
		code := int(f.code.Load())
		switch code / 100 {
		case 2:
			f.ok.Add(1)
		case 5:
			f.failed.Add(1)
		}
		w.WriteHeader(code)
		w.Write([]byte("status " + http.StatusText(code)))
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func passingIDs(t *testing.T, c *capi.Client, service string) []string {
	t.Helper()
	entries, _, err := c.Health().Service(service, "", true, nil)
	if err != nil {
		t.Fatalf("health service: %v", err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Service.ID)
	}
	slices.Sort(ids)
	return ids
}

func TestRegisterHealthAndDeregister(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	f, backend := newFlipper(t, 200)

	reg := &capi.AgentServiceRegistration{ID: "web-1", Name: "web", Port: 8080, Address: "127.0.0.1",
		Tags: []string{"v1", "primary"}, Meta: map[string]string{"env": "test"},
		Check: &capi.AgentServiceCheck{HTTP: backend.URL + "/health", Interval: "200ms", Timeout: "1s"}}
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatalf("register: %v", err)
	}
	// The check starts critical: registered, but not passing, atomically.
	all, meta, err := c.Health().Service("web", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(all[0].Checks) != 2 || meta.LastIndex == 0 || !meta.KnownLeader {
		t.Fatalf("entries %+v meta %+v", all, meta)
	}
	if all[0].Service.Tags[0] != "v1" || all[0].Service.Meta["env"] != "test" || all[0].Node.Node != "node1" {
		t.Fatalf("service %+v node %+v", all[0].Service, all[0].Node)
	}
	orbittest.Eventually(t, 5*time.Second, "web-1 passing", func() bool {
		return slices.Equal(passingIDs(t, c, "web"), []string{"web-1"})
	})
	if f.hits.Load() == 0 {
		t.Fatal("check never hit the backend")
	}

	// Tag filter, catalog views, agent views.
	if es, _, _ := c.Health().Service("web", "v1", true, nil); len(es) != 1 {
		t.Fatalf("tag v1: %d entries", len(es))
	}
	if es, _, _ := c.Health().Service("web", "v2", false, nil); len(es) != 0 {
		t.Fatalf("tag v2: %d entries", len(es))
	}
	svcs, _, err := c.Catalog().Services(nil)
	if err != nil || !slices.Equal(svcs["web"], []string{"primary", "v1"}) {
		t.Fatalf("catalog services %v %v", svcs, err)
	}
	cs, _, err := c.Catalog().Service("web", "", nil)
	if err != nil || len(cs) != 1 || cs[0].ServicePort != 8080 || cs[0].ServiceAddress != "127.0.0.1" || cs[0].Node != "node1" {
		t.Fatalf("catalog service %+v %v", cs, err)
	}
	local, err := c.Agent().Services()
	if err != nil || local["web-1"] == nil || local["web-1"].Service != "web" {
		t.Fatalf("agent services %+v %v", local, err)
	}
	checks, err := c.Agent().Checks()
	if err != nil || checks["service:web-1"] == nil || checks["service:web-1"].Status != "passing" {
		t.Fatalf("agent checks %+v %v", checks, err)
	}
	hc, _, err := c.Health().Checks("web", nil)
	if err != nil || len(hc) != 1 || hc[0].ServiceName != "web" || hc[0].Type != "http" {
		t.Fatalf("health checks %+v %v", hc, err)
	}
	nodes, _, err := c.Catalog().Nodes(nil)
	if err != nil || len(nodes) != 1 || nodes[0].Node != "node1" {
		t.Fatalf("nodes %+v %v", nodes, err)
	}
	node, _, err := c.Catalog().Node("node1", nil)
	if err != nil || node.Services["web-1"] == nil {
		t.Fatalf("node %+v %v", node, err)
	}
	members, err := c.Agent().Members(false)
	if err != nil || len(members) != 1 || members[0].Status != 1 {
		t.Fatalf("members %+v %v", members, err)
	}
	name, err := c.Agent().NodeName()
	if err != nil || name != "node1" {
		t.Fatalf("node name %q %v", name, err)
	}
	leader, err := c.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader %q %v", leader, err)
	}
	peers, err := c.Status().Peers()
	if err != nil || len(peers) != 1 || peers[0] != leader {
		t.Fatalf("peers %v %v", peers, err)
	}
	// filter as Prometheus and the CLI send it.
	fe, _, err := c.Health().Service("web", "", false, &capi.QueryOptions{Filter: `Service.Meta.env == "test" and "v1" in Service.Tags`})
	if err != nil || len(fe) != 1 {
		t.Fatalf("filter match: %d %v", len(fe), err)
	}
	fe, _, err = c.Health().Service("web", "", false, &capi.QueryOptions{Filter: `Service.Meta.env == "prod"`})
	if err != nil || len(fe) != 0 {
		t.Fatalf("filter no match: %d %v", len(fe), err)
	}
	if _, _, err := c.Health().Service("web", "", false, &capi.QueryOptions{Filter: `Service.Meta.env ==`}); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("bad filter: %v", err)
	}

	// Deregistration removes the instance and its check.
	if err := c.Agent().ServiceDeregister("web-1"); err != nil {
		t.Fatal(err)
	}
	if es, _, _ := c.Health().Service("web", "", false, nil); len(es) != 0 {
		t.Fatalf("after deregister: %d entries", len(es))
	}
	if hc, _, _ := c.Health().Checks("web", nil); len(hc) != 0 {
		t.Fatalf("after deregister: %d checks", len(hc))
	}
	if err := c.Agent().ServiceDeregister("web-1"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("second deregister: %v", err)
	}
}

func TestHealthFlips(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	f, backend := newFlipper(t, 200)
	const interval = time.Second // Consul's minimum check interval
	reg := &capi.AgentServiceRegistration{ID: "api-1", Name: "api", Port: 9000,
		Check: &capi.AgentServiceCheck{HTTP: backend.URL, Interval: interval.String(), Timeout: "500ms", SuccessBeforePassing: 3}}
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 10*time.Second, "api-1 passing", func() bool { return len(passingIDs(t, c, "api")) == 1 })

	// 429 is warning, and out of ?passing.
	f.code.Store(429)
	orbittest.Eventually(t, 5*time.Second, "warning", func() bool {
		hc, _, _ := c.Health().Checks("api", nil)
		return len(hc) == 1 && hc[0].Status == "warning"
	})
	if len(passingIDs(t, c, "api")) != 0 {
		t.Fatal("a warning instance is listed with ?passing")
	}

	// 500: critical on the first failed probe. Counted in probes, not
	// time: under load the view may take a while to show it, so one more
	// probe may have run by then, but a check that waited for several
	// failures shows at least three.
	failedBefore := f.failed.Load()
	f.code.Store(500)
	orbittest.Eventually(t, 10*time.Second, "api-1 critical", func() bool {
		hc, _, _ := c.Health().Checks("api", nil)
		return len(hc) == 1 && hc[0].Status == "critical"
	})
	if n := f.failed.Load() - failedBefore; n > 2 {
		t.Errorf("critical after %d failed probes; want after the first", n)
	}
	hc, _, _ := c.Health().Checks("api", nil)
	if len(hc) != 1 || hc[0].Status != "critical" || !strings.Contains(hc[0].Output, "500") {
		t.Fatalf("check after 500: %+v", hc)
	}

	// Back to 200: passing again only after 3 consecutive successes.
	okBefore := f.ok.Load()
	f.code.Store(200)
	orbittest.Eventually(t, 20*time.Second, "api-1 passing again", func() bool { return len(passingIDs(t, c, "api")) == 1 })
	if n := f.ok.Load() - okBefore; n < 3 {
		t.Errorf("passing again after %d successful probes; success_before_passing=3", n)
	}
}

func TestBlockingQueries(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	reg := &capi.AgentServiceRegistration{ID: "db-1", Name: "db", Port: 5432,
		Check: &capi.AgentServiceCheck{CheckID: "db-ttl", TTL: "30s"}}
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	_, meta, err := c.Health().Service("db", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	idx := meta.LastIndex

	// A blocking query that times out returns the same index.
	start := time.Now()
	_, meta2, err := c.Health().Service("db", "", false, &capi.QueryOptions{WaitIndex: idx, WaitTime: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// At least the wait; and it ends (the bound is loose for a loaded
	// machine, far below Consul's 5m default wait).
	if el := time.Since(start); el < 300*time.Millisecond || el > 5*time.Second {
		t.Fatalf("timed-out blocking query took %v", el)
	}
	if meta2.LastIndex != idx {
		t.Fatalf("index moved %d → %d without a change", idx, meta2.LastIndex)
	}

	// Unrelated writes (KV, another service) do not wake it; the TTL pass does.
	type result struct {
		entries []*capi.ServiceEntry
		meta    *capi.QueryMeta
		err     error
		at      time.Time
	}
	done := make(chan result, 1)
	go func() {
		es, m, err := c.Health().Service("db", "", false, &capi.QueryOptions{WaitIndex: idx, WaitTime: 10 * time.Second})
		done <- result{es, m, err, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := c.KV().Put(&capi.KVPair{Key: "unrelated", Value: []byte("x")}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "other", Name: "other"}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("woke on an unrelated write: %+v", r.meta)
	case <-time.After(300 * time.Millisecond):
	}
	changed := time.Now()
	if err := c.Agent().PassTTL("db-ttl", "all good"); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.meta.LastIndex <= idx || r.entries[0].Checks.AggregatedStatus() != "passing" {
		t.Fatalf("woke with index %d (was %d), status %s", r.meta.LastIndex, idx, r.entries[0].Checks.AggregatedStatus())
	}
	// Woken by the change, not by its 10s wait running out.
	if lag := r.at.Sub(changed); lag > 5*time.Second {
		t.Fatalf("watcher woke %v after the change", lag)
	}

	// TTL fail, warn and update map to statuses; unknown ids are 404.
	if err := c.Agent().FailTTL("db-ttl", "down"); err != nil {
		t.Fatal(err)
	}
	if hc, _, _ := c.Health().Checks("db", nil); hc[0].Status != "critical" || hc[0].Output != "down" {
		t.Fatalf("after fail: %+v", hc[0])
	}
	if err := c.Agent().UpdateTTL("db-ttl", "slow", capi.HealthWarning); err != nil {
		t.Fatal(err)
	}
	if hc, _, _ := c.Health().Checks("db", nil); hc[0].Status != "warning" {
		t.Fatalf("after update: %+v", hc[0])
	}
	if err := c.Agent().PassTTL("nope", ""); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown TTL check: %v", err)
	}
	// health/state blocks on check changes.
	crit, _, err := c.Health().State("warning", nil)
	if err != nil || len(crit) != 1 || crit[0].CheckID != "db-ttl" {
		t.Fatalf("state warning: %+v %v", crit, err)
	}
}

func TestKV(t *testing.T) {
	a := testagent.Start(t)
	kv := newClient(t, a).KV()

	if p, _, err := kv.Get("missing", nil); err != nil || p != nil {
		t.Fatalf("missing key: %+v %v", p, err)
	}
	if _, err := kv.Put(&capi.KVPair{Key: "app/config/db", Value: []byte("postgres://db"), Flags: 42}, nil); err != nil {
		t.Fatal(err)
	}
	p, meta, err := kv.Get("app/config/db", nil)
	if err != nil || p == nil || string(p.Value) != "postgres://db" || p.Flags != 42 || p.ModifyIndex == 0 || meta.LastIndex != p.ModifyIndex {
		t.Fatalf("get: %+v %+v %v", p, meta, err)
	}
	// CAS: a stale index fails, the current one succeeds; 0 creates only.
	ok, _, err := kv.CAS(&capi.KVPair{Key: "app/config/db", Value: []byte("stale"), ModifyIndex: p.ModifyIndex - 1}, nil)
	if err != nil || ok {
		t.Fatalf("stale cas: %v %v", ok, err)
	}
	ok, _, err = kv.CAS(&capi.KVPair{Key: "app/config/db", Value: []byte("v2"), ModifyIndex: p.ModifyIndex}, nil)
	if err != nil || !ok {
		t.Fatalf("cas: %v %v", ok, err)
	}
	ok, _, _ = kv.CAS(&capi.KVPair{Key: "app/config/db", Value: []byte("x"), ModifyIndex: 0}, nil)
	if ok {
		t.Fatal("cas 0 overwrote an existing key")
	}
	p2, _, _ := kv.Get("app/config/db", nil)
	if string(p2.Value) != "v2" || p2.CreateIndex != p.CreateIndex || p2.ModifyIndex <= p.ModifyIndex {
		t.Fatalf("after cas: %+v", p2)
	}
	// A raw read carries the index and leader headers too, as Consul's.
	resp, err := http.Get(a.URL + "/v1/kv/app/config/db?raw")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Consul-Index") != strconv.FormatUint(p2.ModifyIndex, 10) || resp.Header.Get("X-Consul-KnownLeader") != "true" {
		t.Fatalf("raw get headers: %v, want X-Consul-Index %d and KnownLeader true", resp.Header, p2.ModifyIndex)
	}
	kv.Put(&capi.KVPair{Key: "app/config/cache", Value: []byte("redis")}, nil)
	kv.Put(&capi.KVPair{Key: "app/name", Value: []byte("orbit")}, nil)
	list, _, err := kv.List("app/", nil)
	if err != nil || len(list) != 3 || list[0].Key != "app/config/cache" {
		t.Fatalf("list: %+v %v", list, err)
	}
	keys, _, err := kv.Keys("app/", "/", nil)
	if err != nil || !slices.Equal(keys, []string{"app/config/", "app/name"}) {
		t.Fatalf("keys: %v %v", keys, err)
	}
	// A blocking GET on a prefix wakes on a delete under it.
	_, meta, _ = kv.List("app/", nil)
	done := make(chan uint64, 1)
	go func() {
		_, m, _ := kv.List("app/", &capi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 10 * time.Second})
		done <- m.LastIndex
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := kv.Delete("app/name", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case idx := <-done:
		if idx <= meta.LastIndex {
			t.Fatalf("prefix index did not move: %d", idx)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("prefix watcher did not wake on delete")
	}
	// DELETE with cas, then recurse.
	p3, _, _ := kv.Get("app/config/cache", nil)
	if ok, _, _ := kv.DeleteCAS(&capi.KVPair{Key: "app/config/cache", ModifyIndex: p3.ModifyIndex + 100}, nil); ok {
		t.Fatal("delete-cas with a wrong index succeeded")
	}
	if ok, _, _ := kv.DeleteCAS(&capi.KVPair{Key: "app/config/cache", ModifyIndex: p3.ModifyIndex}, nil); !ok {
		t.Fatal("delete-cas failed")
	}
	if _, err := kv.DeleteTree("app/", nil); err != nil {
		t.Fatal(err)
	}
	if l, _, _ := kv.List("app/", nil); len(l) != 0 {
		t.Fatalf("after delete tree: %+v", l)
	}
}
