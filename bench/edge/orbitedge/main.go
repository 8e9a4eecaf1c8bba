// Command orbitedge runs orbit's edge proxy alone for the benchmark: an
// embedded store in a temporary directory, the view, the internal CA and
// the proxy, with the given backends registered as passing instances of
// one service routed by Host(`bench`) and by PathPrefix(`/`) as a
// fallback. It stands in for `orbit agent -dev` until the agent wires the
// proxy.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/pki"
	"github.com/orbit/orbit/internal/proxy"
	"github.com/orbit/orbit/internal/routefeed"
	"github.com/orbit/orbit/internal/routing"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9104", "entry point address")
	backends := flag.String("backends", "127.0.0.1:9001,127.0.0.1:9002", "comma-separated backend addresses")
	accessLog := flag.Bool("accesslog", false, "write the JSON access log to stdout")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *listen, strings.Split(*backends, ","), *accessLog); err != nil {
		log.Print(err)
	}
}

func run(ctx context.Context, listen string, backends []string, accessLog bool) error {
	dir, err := os.MkdirTemp("", "orbitedge")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := store.Open(ctx, store.Config{DataDir: dir, Logger: logger})
	if err != nil {
		return err
	}
	defer st.Close()
	v := view.New(st, logger)
	vctx, vcancel := context.WithCancel(ctx)
	vdone := make(chan struct{})
	go func() { defer close(vdone); v.Run(vctx) }()
	defer func() { vcancel(); <-vdone }()
	<-v.Ready()
	ca, err := pki.New(ctx, pki.Config{}, st)
	if err != nil {
		return err
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "bench", Address: "127.0.0.1"}, 0); err != nil {
		return err
	}
	for i, b := range backends {
		host, port, err := net.SplitHostPort(b)
		if err != nil {
			return fmt.Errorf("backend %q: %w", b, err)
		}
		p, _ := strconv.Atoi(port)
		in := &catalog.Instance{Node: "bench", ID: fmt.Sprintf("bench-%d", i), Name: "bench", Address: host, Port: p,
			Weights: catalog.Weights{Passing: 1, Warning: 1},
			Tags:    []string{"traefik.enable=true", "traefik.http.routers.bench.rule=Host(`bench`) || PathPrefix(`/`)"}}
		if _, err := st.RegisterInstance(ctx, nil, in, nil); err != nil {
			return err
		}
	}
	pc := proxy.Config{EntryPoints: []proxy.EntryPoint{{Name: "web", Addr: listen}}, AccessLog: accessLog}
	reg := prometheus.NewRegistry()
	srv, err := proxy.New(pc, proxy.Deps{CA: ca, Logger: logger, Registry: reg})
	if err != nil {
		return err
	}
	feed, err := routefeed.New(routefeed.Config{Routing: routing.Config{EntryPoints: pc.RoutingEntryPoints()}},
		routefeed.Deps{Catalog: v, Sinks: []routefeed.Sink{srv}, Logger: logger, Registry: reg})
	if err != nil {
		return err
	}
	fctx, stopFeed := context.WithCancel(ctx)
	var fwg sync.WaitGroup
	fwg.Go(func() { _ = feed.Run(fctx) })
	defer func() { stopFeed(); fwg.Wait() }()
	start := time.Now()
	err = srv.Run(ctx)
	logger.Warn("orbitedge stopped", "ran", time.Since(start))
	return err
}
