// Command orbitdns runs orbit's DNS server alone for benchmarks: an
// embedded store in a temporary directory, the view, N services with one
// passing instance each, and a zone imported from a zone file. It is not
// the agent and is not shipped; bench/dns/run.sh uses it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/dns"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/zone"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8600", "DNS listen address")
	zoneFile := flag.String("zone-file", "", "zone file to import")
	zoneName := flag.String("zone", "bench.example.", "zone name")
	services := flag.Int("services", 100, "services to register (svcN, one passing instance each)")
	listeners := flag.Int("udp-listeners", 0, "UDP sockets (0: the server's default)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "orbitdns:", err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "orbitdns:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *zoneFile, *zoneName, *services, *listeners); err != nil {
		fmt.Fprintln(os.Stderr, "orbitdns:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, zoneFile, zoneName string, services, listeners int) error {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir, err := os.MkdirTemp("", "orbitdns-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Config{DataDir: dir, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	v := view.New(st, log)
	vctx, vcancel := context.WithCancel(ctx)
	vdone := make(chan struct{})
	go func() { defer close(vdone); _ = v.Run(vctx) }()
	defer func() { vcancel(); <-vdone }()
	<-v.Ready()
	var rev int64
	for i := 0; i < services; i++ {
		n := strconv.Itoa(i)
		node := &catalog.Node{Name: "node" + n, Address: fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255+1)}
		in := &catalog.Instance{Node: node.Name, ID: "svc" + n, Name: "svc" + n, Port: 20000 + i}
		if rev, err = st.RegisterInstance(ctx, node, in, nil); err != nil {
			return err
		}
	}
	if zoneFile != "" {
		f, err := os.Open(zoneFile)
		if err != nil {
			return err
		}
		z, sets, err := zone.ParseFile(f, zoneName, zoneFile)
		f.Close()
		if err != nil {
			return err
		}
		if _, rev, err = st.ChangeZone(ctx, z.Name, zone.Change{Import: true, Settings: z, Put: sets}, time.Now()); err != nil {
			return err
		}
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		return err
	}
	srv, err := dns.New(dns.Config{Addr: addr, NoForward: true, UDPListeners: listeners}, dns.Deps{Catalog: v, Logger: log})
	if err != nil {
		return err
	}
	fmt.Println("ready")
	return srv.Run(ctx)
}
