package dns

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/routefeed"
	"github.com/orbit/orbit/internal/routing"
)

// tableSignal is a route feeder sink that reports every table it is
// handed. Placed after the DNS server in the feeder's sinks, a table it
// reports is one the DNS server already answers from.
type tableSignal struct {
	ch   chan *routing.Table
	done <-chan struct{} // closed when the test ends
}

func (c tableSignal) SetRoutes(rt *routing.Table) {
	select {
	case c.ch <- rt:
	case <-c.done:
	}
}

// awaitHost waits, by the feeder's hand-over and not by time, for a table
// in which host's state is want.
func (c tableSignal) awaitHost(t *testing.T, host string, want bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		select {
		case rt := <-c.ch:
			if rt.Hosts()[host] == want {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no route table with %s=%v was handed over", host, want)
		}
	}
}

// TestRouterHostLiveWithItsRoute: the route feeder hands each table to DNS
// in the same step as to every other consumer, so a router's host name is
// answered as soon as the table holding the route has been handed over,
// and leaves with the route's last passing instance.
func TestRouterHostLiveWithItsRoute(t *testing.T) {
	e := start(t, Config{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	seen := tableSignal{ch: make(chan *routing.Table), done: ctx.Done()}
	feed, err := routefeed.New(routefeed.Config{
		Routing:     routing.Config{EntryPoints: []routing.EntryPoint{{Name: "web"}}},
		FlapDamping: -1,
	}, routefeed.Deps{Catalog: e.v, Sinks: []routefeed.Sink{e.srv, seen}, Logger: orbittest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("feeder Run: %v", err)
		}
	})

	edge := &catalog.Node{Name: "edge1", Address: "127.0.0.51", Roles: []string{"edge"}}
	rev, err := e.st.RegisterNode(t.Context(), edge, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.sync(t, rev)
	app := &catalog.Instance{Node: "edge1", ID: "app-1", Name: "app", Address: "10.0.0.1", Port: 20100,
		Tags: []string{"traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.lab.example`) || Host(`www.app.test`)"}}
	mustRegister(t, e.st, edge, app, catalog.Passing)
	seen.awaitHost(t, "app.lab.example", true)
	for _, name := range []string{"app.lab.example.", "www.app.test."} {
		if got := answers(e.query(t, name, dns.TypeA, "udp")); !slices.Equal(got, []string{"127.0.0.51"}) {
			t.Errorf("%s = %v once its route was handed over, want the edge node", name, got)
		}
	}
	// The router's only instance turns critical: the next table drops the
	// host and DNS with it.
	if _, _, err := e.st.SetCheckStatus(t.Context(), "edge1", "service:app-1", catalog.Critical, "down"); err != nil {
		t.Fatal(err)
	}
	seen.awaitHost(t, "app.lab.example", false)
	if r := e.query(t, "app.lab.example.", dns.TypeA, "udp"); r.Rcode != dns.RcodeRefused {
		t.Fatalf("router host still answered after its route lost its backend: %v", r)
	}
}
