package ha_test

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest"
)

func consulClient(t *testing.T, addr string) *capi.Client {
	t.Helper()
	c, err := capi.NewClient(&capi.Config{Address: addr, Token: orbittest.RootToken}) // ACLs are on (not -dev)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// kvAndServices is what a cluster says about its KV pairs (key, flags,
// value) and its services with their checks, read consistently.
func kvAndServices(t *testing.T, c *capi.Client) (map[string]string, map[string][]string) {
	t.Helper()
	q := &capi.QueryOptions{RequireConsistent: true}
	pairs, _, err := c.KV().List("", q)
	if err != nil {
		t.Fatal(err)
	}
	kv := map[string]string{}
	for _, p := range pairs {
		kv[p.Key] = fmt.Sprintf("%d:%s", p.Flags, p.Value)
	}
	svcs, _, err := c.Catalog().Services(q)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for name := range svcs {
		es, _, err := c.Health().Service(name, "", false, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Node.Node == "ext" { // the seeded external node; agents' own nodes differ
				out[name] = append(out[name], fmt.Sprintf("%s %s:%d %d checks", e.Service.ID, e.Service.Address, e.Service.Port, len(e.Checks)))
			}
		}
	}
	return kv, out
}

// A snapshot of one server, saved with consul/api, restored onto a fresh
// cluster of three equals the source through every one of the three.
func TestSnapshotRestoreOntoThreeServers(t *testing.T) {
	src := newServers(t, 1)[0]
	startAll(t, 1, src)
	sc := consulClient(t, src.http)
	if _, err := sc.Catalog().Register(&capi.CatalogRegistration{Node: "ext", Address: "10.0.0.9",
		Service: &capi.AgentService{ID: "db1", Service: "db", Address: "10.0.0.9", Port: 5432},
		Check:   &capi.AgentCheck{CheckID: "db-alive", Name: "db", ServiceID: "db1", Status: "passing"}}, nil); err != nil {
		t.Fatal(err)
	}
	// More keys than etcd's default limit of operations in one transaction.
	for i := range 300 {
		if _, err := sc.KV().Put(&capi.KVPair{Key: fmt.Sprintf("app/k%03d", i), Flags: uint64(i), Value: []byte(fmt.Sprint("v", i))}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantKV, wantSvcs := kvAndServices(t, sc)
	rc, _, err := sc.Snapshot().Save(nil)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}

	ss := newServers(t, 3)
	startAll(t, 3, ss...)
	if err := consulClient(t, ss[1].http).Snapshot().Restore(nil, bytes.NewReader(archive)); err != nil {
		t.Fatalf("restore onto the three servers: %v", err)
	}
	for _, s := range ss {
		c := consulClient(t, s.http)
		orbittest.Eventually(t, 10*time.Second, s.name+" to serve the restored state", func() bool {
			kv, svcs := kvAndServices(t, c)
			return reflect.DeepEqual(kv, wantKV) && reflect.DeepEqual(svcs, wantSvcs)
		})
	}
}
