// Command client measures how fast one orbit client brings up many
// raw_exec tasks: it writes a job and N allocations for one node into an
// embedded store, and reports the time until every allocation is reported
// running and until every task answers HTTP on its dynamic port. It is a
// benchmark, not a test: run it with run.sh (see README.md).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/driver/rawexec"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

func main() {
	n := flag.Int("n", 100, "allocations (one raw_exec task each)")
	runs := flag.Int("runs", 3, "repetitions")
	profile := flag.String("cpuprofile", "", "write a CPU profile of all runs to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*n, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(n, runs int) error {
	tmp, err := os.MkdirTemp("", "orbit-bench-client")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin, err := drivertest.BuildWebappTo(tmp)
	if err != nil {
		return err
	}
	var all []time.Duration
	for r := 1; r <= runs; r++ {
		res, err := once(filepath.Join(tmp, "run"+strconv.Itoa(r)), bin, n)
		if err != nil {
			return err
		}
		all = append(all, res.serving)
		fmt.Printf("run %d: %d allocations: first task started %v, half %v, all running %v, all answering HTTP %v\n", r, n,
			res.first.Round(time.Millisecond), res.median.Round(time.Millisecond),
			res.running.Round(time.Millisecond), res.serving.Round(time.Millisecond))
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	fmt.Printf("median of %d runs, all answering HTTP: %v (load average %s)\n", runs, all[len(all)/2].Round(time.Millisecond), loadAvg())
	return nil
}

type result struct {
	first, median, running, serving time.Duration
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

// once runs one measurement in a fresh store and client.
func once(dir, bin string, n int) (res result, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, store.Config{DataDir: filepath.Join(dir, "store"), Logger: log})
	if err != nil {
		return res, err
	}
	defer st.Close()
	v := view.New(st, log)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { v.Run(ctx) })
	<-v.Ready()
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "bench", Address: "127.0.0.1"}, 0); err != nil {
		return res, err
	}
	c, err := client.New(client.Config{NodeName: "bench", DataDir: filepath.Join(dir, "client"), StopOnShutdown: true, Logger: log},
		client.Deps{View: v, Store: st, Drivers: []driver.Driver{rawexec.New()}})
	if err != nil {
		return res, err
	}
	wg.Go(func() { c.Run(ctx) })
	time.Sleep(200 * time.Millisecond) // let the client fingerprint and subscribe

	j := &job.Job{ID: "bench", Name: "bench", Type: job.TypeService, Namespace: "default", Groups: []*job.Group{{
		Name: "g", Count: n, Network: &job.Network{Ports: []*job.Port{{Label: "http"}}},
		Tasks: []*job.Task{{Name: "web", Driver: rawexec.Name, Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{
			"command": {Kind: job.KindString, Str: bin},
			"args":    {Kind: job.KindList, List: []job.Value{{Kind: job.KindString, Str: "-addr"}, {Kind: job.KindString, Str: "${NOMAD_ADDR_http}"}}},
		}}, Resources: &job.Resources{CPU: 20, MemoryMB: 32}}},
	}}}
	vb, _ := json.Marshal(&job.Version{Job: j})
	ops := []store.Op{store.Put(store.JobVersionKey("default", "bench", 0), vb)}
	for i := 0; i < n; i++ {
		a := &job.Allocation{ID: fmt.Sprintf("bench-%04d", i), Name: job.AllocName("bench", "g", i), Index: i, Node: "bench",
			Namespace: "default", JobID: "bench", TaskGroup: "g", DesiredStatus: job.DesiredRun,
			Ports: []job.AllocPort{{Label: "http"}}, Tasks: map[string]job.AllocResources{"web": {CPU: 20, MemoryMB: 32}}}
		ab, _ := json.Marshal(a)
		ops = append(ops, store.Put(store.AllocKey(a.ID), ab))
	}
	start := time.Now()
	for i := 0; i < len(ops); i += store.MaxTxnOps {
		if _, _, err := st.Txn(ctx, nil, ops[i:min(i+store.MaxTxnOps, len(ops))]); err != nil {
			return res, err
		}
	}
	ports, started, err := waitRunning(ctx, v, n, 60*time.Second)
	if err != nil {
		return res, err
	}
	res.running = time.Since(start)
	if err := waitServing(ports, 60*time.Second); err != nil {
		return res, err
	}
	res.serving = time.Since(start)
	sort.Slice(started, func(i, j int) bool { return started[i].Before(started[j]) })
	res.first, res.median = started[0].Sub(start), started[len(started)/2].Sub(start)
	return res, nil
}

// waitRunning waits until n allocations report running and returns their
// ports and their tasks' start times.
func waitRunning(ctx context.Context, v *view.View, n int, timeout time.Duration) ([]int, []time.Time, error) {
	ch, unsub := v.Subscribe()
	defer unsub()
	deadline := time.After(timeout)
	for {
		var ports []int
		var started []time.Time
		for _, it := range v.AllocStatuses() {
			if s := it.V; s.ClientStatus == job.ClientRunning && len(s.Ports) == 1 {
				ports = append(ports, s.Ports[0].Value)
				started = append(started, s.TaskStates["web"].StartedAt)
			}
		}
		if len(ports) == n {
			return ports, started, nil
		}
		select {
		case <-ch:
		case <-deadline:
			return nil, nil, fmt.Errorf("only %d of %d allocations running after %v", len(ports), n, timeout)
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// waitServing polls every port until each answers /health.
func waitServing(ports []int, timeout time.Duration) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(ports))
	for _, p := range ports {
		wg.Go(func() {
			if err := drivertest.PollHTTP("http://127.0.0.1:"+strconv.Itoa(p)+"/health", timeout); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
