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
	for r := 1; r <= runs; r++ {
		running, serving, err := once(filepath.Join(tmp, "run"+strconv.Itoa(r)), bin, n)
		if err != nil {
			return err
		}
		fmt.Printf("run %d: %d allocations: all running %v, all answering HTTP %v\n", r, n,
			running.Round(time.Millisecond), serving.Round(time.Millisecond))
	}
	return nil
}

// once runs one measurement in a fresh store and client.
func once(dir, bin string, n int) (running, serving time.Duration, err error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := slog.New(slog.DiscardHandler)
	st, err := store.Open(ctx, store.Config{DataDir: filepath.Join(dir, "store"), Logger: log})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	v := view.New(st, log)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { v.Run(ctx) })
	<-v.Ready()
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "bench", Address: "127.0.0.1"}, 0); err != nil {
		return 0, 0, err
	}
	c, err := client.New(client.Config{NodeName: "bench", DataDir: filepath.Join(dir, "client"), StopOnShutdown: true, Logger: log},
		client.Deps{View: v, Store: st, Drivers: []driver.Driver{rawexec.New()}})
	if err != nil {
		return 0, 0, err
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
			return 0, 0, err
		}
	}
	ports, err := waitRunning(ctx, v, n, 60*time.Second)
	if err != nil {
		return 0, 0, err
	}
	running = time.Since(start)
	if err := waitServing(ports, 60*time.Second); err != nil {
		return 0, 0, err
	}
	serving = time.Since(start)
	return running, serving, nil
}

// waitRunning waits until n allocations report running and returns their
// ports.
func waitRunning(ctx context.Context, v *view.View, n int, timeout time.Duration) ([]int, error) {
	ch, unsub := v.Subscribe()
	defer unsub()
	deadline := time.After(timeout)
	for {
		var ports []int
		for _, kv := range v.Raw(store.FamilyAllocStatus) {
			s, err := store.Decode[job.AllocStatus](kv)
			if err == nil && s.ClientStatus == job.ClientRunning && len(s.Ports) == 1 {
				ports = append(ports, s.Ports[0].Value)
			}
		}
		if len(ports) == n {
			sort.Ints(ports)
			return ports, nil
		}
		select {
		case <-ch:
		case <-deadline:
			return nil, fmt.Errorf("only %d of %d allocations running after %v", len(ports), n, timeout)
		case <-ctx.Done():
			return nil, ctx.Err()
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

