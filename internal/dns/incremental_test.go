package dns

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
)

func namesBuilt(t *testing.T, e *env, kind string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "orbit_dns_names_built_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestIncrementalRebuildsOnlyWhatChanged: a change to one service rebuilds
// that service's records only, and no node's.
func TestIncrementalRebuildsOnlyWhatChanged(t *testing.T) {
	e := start(t, Config{}, nil)
	n1 := &catalog.Node{Name: "n1", Address: "127.0.0.11"}
	var rev int64
	for _, svc := range []string{"web", "db", "api"} {
		rev = mustRegister(t, e.st, n1, &catalog.Instance{Node: "n1", ID: svc + "-1", Name: svc, Port: 20001}, catalog.Passing)
	}
	e.sync(t, rev)
	svcs, nodes := namesBuilt(t, e, "service"), namesBuilt(t, e, "node")
	rev = mustRegister(t, e.st, nil, &catalog.Instance{Node: "n1", ID: "db-1", Name: "db", Port: 20002, Tags: []string{"primary"}}, catalog.Passing)
	e.sync(t, rev)
	if d := namesBuilt(t, e, "service") - svcs; d != 1 {
		t.Errorf("one service changed, %v services rebuilt", d)
	}
	if d := namesBuilt(t, e, "node") - nodes; d != 0 {
		t.Errorf("no node changed, %v nodes rebuilt", d)
	}
	r := e.query(t, "primary.db.service.consul.", dns.TypeSRV, "udp")
	if len(r.Answer) != 1 || r.Answer[0].(*dns.SRV).Port != 20002 {
		t.Errorf("the changed service answers %v", r.Answer)
	}
	if got := answers(e.query(t, "web.service.consul.", dns.TypeA, "udp")); !slices.Equal(got, []string{"127.0.0.11"}) {
		t.Errorf("an unchanged service answers %v", got)
	}
}

// TestIncrementalEqualsFullBuild applies random catalog changes (instances
// come and go, checks flip, nodes move, names differ only by case) and
// checks after each that the incrementally built table equals a full build
// of the same view.
func TestIncrementalEqualsFullBuild(t *testing.T) {
	e := start(t, Config{AllowWarning: true}, nil)
	e.srv.setHosts(map[string]bool{"app.example.test": true, "down.example.test": false})
	rnd := rand.New(rand.NewPCG(9, 9))
	services := []string{"web", "Web", "db", "api", "bad.name"}
	nodes := []string{"n1", "n2", "N2", "edge1"}
	statuses := []catalog.Status{catalog.Passing, catalog.Warning, catalog.Critical}
	type inst struct{ node, id string }
	var live []inst
	for step := range 60 {
		var (
			rev int64
			err error
			op  string
		)
		switch k := rnd.IntN(10); {
		case k < 4 || len(live) == 0:
			node, svc := nodes[rnd.IntN(len(nodes))], services[rnd.IntN(len(services))]
			id := fmt.Sprintf("%s-%d", svc, rnd.IntN(3))
			in := &catalog.Instance{Node: node, ID: id, Name: svc, Port: 20000 + rnd.IntN(100),
				Tags: []string{[]string{"v1", "V1", "http"}[rnd.IntN(3)]}, Weights: catalog.Weights{Passing: 1 + rnd.IntN(3), Warning: 1}}
			if rnd.IntN(3) == 0 {
				in.Address = fmt.Sprintf("10.0.0.%d", rnd.IntN(4))
			}
			n := &catalog.Node{Name: node, Address: fmt.Sprintf("127.0.1.%d", rnd.IntN(3)+1)}
			if node == "edge1" {
				n.Roles = []string{"edge"}
			}
			op = fmt.Sprintf("register %s/%s", node, id)
			rev = mustRegister(t, e.st, n, in, statuses[rnd.IntN(len(statuses))])
			if !slices.Contains(live, inst{node, id}) {
				live = append(live, inst{node, id})
			}
		case k < 6:
			i := live[rnd.IntN(len(live))]
			op = "check " + i.node + "/" + i.id
			rev, _, err = e.st.SetCheckStatus(t.Context(), i.node, "service:"+i.id, statuses[rnd.IntN(len(statuses))], "")
		case k < 8:
			i := rnd.IntN(len(live))
			op = "deregister " + live[i].node + "/" + live[i].id
			_, rev, err = e.st.DeregisterInstance(t.Context(), live[i].node, live[i].id)
			live = slices.Delete(live, i, i+1)
		case k < 9:
			node := nodes[rnd.IntN(len(nodes))]
			n := &catalog.Node{Name: node, Address: fmt.Sprintf("127.0.2.%d", rnd.IntN(3)+1), Roles: []string{"edge"}}
			op = "move node " + node
			rev, err = e.st.RegisterNode(t.Context(), n, 0)
		default:
			node := nodes[rnd.IntN(len(nodes))]
			op = "deregister node " + node
			rev, err = e.st.DeregisterNode(t.Context(), node)
			live = slices.DeleteFunc(live, func(i inst) bool { return i.node == node })
		}
		if err != nil {
			t.Fatalf("step %d, %s: %v", step, op, err)
		}
		if rev > 0 {
			e.sync(t, rev)
		}
		got := e.srv.tbl.Load()
		want := e.srv.emptyTable()
		want.buildCatalog(e.v, true)
		want.buildRouters(map[string]bool{"app.example.test": true, "down.example.test": false}, e.v)
		for _, c := range []struct {
			what      string
			got, want any
		}{{"services", got.services, want.services}, {"nodes", got.nodes, want.nodes}, {"reverse names", got.ptr, want.ptr},
			{"router hosts", got.routers, want.routers}} {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("step %d, after %s: incremental %s differ from a full build:\n got %#v\nwant %#v", step, op, c.what, c.got, c.want)
			}
		}
	}
}
