package consul_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	"github.com/hashicorp/serf/coordinate"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// TestEventFireAndBlockingList fires user events through consul/api and
// lists them: the index is the last event's, a blocking list returns on
// the next event, filters decide which agents receive an event.
func TestEventFireAndBlockingList(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	ev := c.Event()

	id, _, err := ev.Fire(&capi.UserEvent{Name: "deploy", Payload: []byte("v1")}, nil)
	if err != nil || id == "" {
		t.Fatalf("fire: %q %v", id, err)
	}
	events, meta, err := ev.List("", nil)
	if err != nil || len(events) != 1 || events[0].ID != id || string(events[0].Payload) != "v1" || events[0].Version != 1 {
		t.Fatalf("list: %+v %v", events, err)
	}
	if meta.LastIndex != ev.IDToIndex(id) {
		t.Fatalf("index %d, want %d", meta.LastIndex, ev.IDToIndex(id))
	}

	type listed struct {
		events []*capi.UserEvent
		err    error
	}
	done := make(chan listed, 1)
	go func() {
		es, _, err := ev.List("", &capi.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: time.Minute})
		done <- listed{es, err}
	}()
	// Events filtered to another node are not delivered to this agent.
	if _, _, err := ev.Fire(&capi.UserEvent{Name: "elsewhere", NodeFilter: "^other$"}, nil); err != nil {
		t.Fatal(err)
	}
	second, _, err := ev.Fire(&capi.UserEvent{Name: "deploy", NodeFilter: "^node1$"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil || len(got.events) != 2 || got.events[1].ID != second {
		t.Fatalf("blocking list: %+v %v", got.events, got.err)
	}
	if es, _, err := ev.List("elsewhere", nil); err != nil || len(es) != 0 {
		t.Fatalf("an event for another node was delivered: %+v %v", es, err)
	}

	url := "http://" + a.HTTPAddr().String() + "/v1/event/fire/x"
	if code, body := do(t, http.MethodPut, url+"?tag=v1", ""); code != http.StatusBadRequest || !strings.Contains(body, "Cannot provide tag filter without service filter") {
		t.Fatalf("tag without service: %d %q", code, body)
	}
	if code, body := do(t, http.MethodPut, url, strings.Repeat("x", 600)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("large payload: %d %q", code, body)
	}
}

// TestCoordinates checks the coordinate endpoints: this datacenter listed,
// none known at first, an update read back for its node, unknown nodes and
// invalid coordinates refused.
func TestCoordinates(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	co := c.Coordinate()

	dcs, err := co.Datacenters()
	if err != nil || len(dcs) != 1 || dcs[0].Datacenter != "dc1" || dcs[0].AreaID != "wan" {
		t.Fatalf("datacenters: %+v %v", dcs, err)
	}
	if nodes, _, err := co.Nodes(nil); err != nil || len(nodes) != 0 {
		t.Fatalf("nodes: %+v %v", nodes, err)
	}
	if _, _, err := co.Node("node1", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("node without coordinate: %v", err)
	}
	cd := coordinate.NewCoordinate(coordinate.DefaultConfig())
	cd.Height = 0.5
	if _, err := co.Update(&capi.CoordinateEntry{Node: "node1", Coord: cd}, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := co.Node("node1", nil)
	if err != nil || len(got) != 1 || got[0].Node != "node1" || got[0].Coord.Height != 0.5 || len(got[0].Coord.Vec) != len(cd.Vec) {
		t.Fatalf("node: %+v %v", got, err)
	}
	if nodes, _, err := co.Nodes(nil); err != nil || len(nodes) != 1 {
		t.Fatalf("nodes after update: %+v %v", nodes, err)
	}
	if _, err := co.Update(&capi.CoordinateEntry{Node: "ghost", Coord: cd}, nil); err == nil {
		t.Fatal("coordinate of an unknown node accepted")
	}
	url := "http://" + a.HTTPAddr().String() + "/v1/coordinate/update"
	if code, body := do(t, http.MethodPut, url, `{"Node":"node1","Coord":{"Vec":[]}}`); code != http.StatusBadRequest || !strings.Contains(body, "invalid coordinate") {
		t.Fatalf("empty coordinate: %d %q", code, body)
	}
}
