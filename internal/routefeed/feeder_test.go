package routefeed

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/routing"
)

// handover is one SetRoutes call seen by a recording sink.
type handover struct {
	sink string
	rt   *routing.Table
}

// recorder is a sink that reports each table it is handed, in order.
type recorder struct {
	name string
	ch   chan<- handover
	done <-chan struct{}
}

func (r recorder) SetRoutes(rt *routing.Table) {
	select {
	case r.ch <- handover{r.name, rt}:
	case <-r.done:
	}
}

var _ Sink = recorder{}

type feedEnv struct {
	t    *testing.T
	ch   chan handover
	stop func()
}

// startFeed runs a feeder over a real store and view with two recording
// sinks, "proxy" then "dns".
func startFeed(t *testing.T, cfg Config, clock clockwork.Clock) (*feedEnv, func(node string, in *catalog.Instance, st catalog.Status)) {
	t.Helper()
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan handover)
	f, err := New(cfg, Deps{Catalog: v, Clock: clock, Logger: orbittest.Logger(t),
		Sinks: []Sink{recorder{"proxy", ch, ctx.Done()}, recorder{"dns", ch, ctx.Done()}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	register := func(node string, in *catalog.Instance, status catalog.Status) {
		t.Helper()
		chk := &catalog.Check{CheckID: "service:" + in.ID, Name: in.Name, Status: status, Definition: catalog.CheckDefinition{TTL: time.Minute}}
		if _, err := st.RegisterInstance(t.Context(), &catalog.Node{Name: node, Address: "127.0.0.1"}, in, []*catalog.Check{chk}); err != nil {
			t.Fatal(err)
		}
	}
	return &feedEnv{t: t, ch: ch, stop: cancel}, register
}

// next returns the next table, checking that every sink got the same one,
// proxy first.
func (e *feedEnv) next() *routing.Table {
	e.t.Helper()
	var got []handover
	for len(got) < 2 {
		select {
		case h := <-e.ch:
			got = append(got, h)
		case <-time.After(30 * time.Second):
			e.t.Fatalf("no table handed over in 30s (got %d hand-overs)", len(got))
		}
	}
	if got[0].sink != "proxy" || got[1].sink != "dns" || got[0].rt != got[1].rt {
		e.t.Fatalf("hand-over %s %p then %s %p: want the same table to proxy, then dns", got[0].sink, got[0].rt, got[1].sink, got[1].rt)
	}
	return got[0].rt
}

// until returns the first table for which ok holds.
func (e *feedEnv) until(what string, ok func(*routing.Table) bool) *routing.Table {
	e.t.Helper()
	for range 50 {
		if rt := e.next(); ok(rt) {
			return rt
		}
	}
	e.t.Fatalf("no table with %s after 50 hand-overs", what)
	return nil
}

func webTags(host string) []string {
	return []string{"traefik.enable=true", "traefik.http.routers.web.rule=Host(`" + host + "`)"}
}

// TestFeederHandsOneTableToEverySink: every catalog change produces one
// table, handed to each sink in order, the same table to each.
func TestFeederHandsOneTableToEverySink(t *testing.T) {
	e, register := startFeed(t, Config{Routing: routing.Config{EntryPoints: []routing.EntryPoint{{Name: "web"}}}, FlapDamping: -1}, nil)
	if rt := e.next(); len(rt.Routers()) != 0 {
		t.Fatalf("first table of an empty catalog has routers: %v", rt.Routers())
	}
	register("n1", &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 8080, Tags: webTags("web.test")}, catalog.Passing)
	e.until("web.test live", func(rt *routing.Table) bool { return rt.Hosts()["web.test"] })
	register("n1", &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 8080, Tags: webTags("web.test")}, catalog.Critical)
	e.until("web.test without a backend", func(rt *routing.Table) bool { return !rt.Hosts()["web.test"] })
}

// TestFeederDampsByItsClock: a backend that turns critical stays a backend
// until the damping period has passed on the feeder's clock; then the
// feeder builds again by itself, without a catalog change.
func TestFeederDampsByItsClock(t *testing.T) {
	clock := clockwork.NewFakeClock()
	e, register := startFeed(t, Config{Routing: routing.Config{EntryPoints: []routing.EntryPoint{{Name: "web"}}}, FlapDamping: 30 * time.Second}, clock)
	e.next()
	in := &catalog.Instance{Node: "n1", ID: "web-1", Name: "web", Port: 8080, Tags: webTags("web.test")}
	register("n1", in, catalog.Passing)
	e.until("web.test live", func(rt *routing.Table) bool { return rt.Hosts()["web.test"] })
	register("n1", in, catalog.Critical)
	// The feeder waits on its clock only while it damps an instance: the
	// critical state has reached it and the instance is still a backend.
	waited := make(chan error, 1)
	go func() { waited <- clock.BlockUntilContext(t.Context(), 1) }()
	for blocked := false; !blocked; {
		select {
		case err := <-waited:
			if err != nil {
				t.Fatal(err)
			}
			blocked = true
		case h := <-e.ch:
			if !h.rt.Hosts()["web.test"] {
				t.Fatal("the host left at once: the critical backend was not damped")
			}
		}
	}
	clock.Advance(29 * time.Second)
	clock.Advance(time.Second)
	e.until("web.test gone after the damping period", func(rt *routing.Table) bool { return !rt.Hosts()["web.test"] })
}
