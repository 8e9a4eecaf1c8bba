// Command scheduler measures orbit's scheduler throughput with many
// simulated client nodes in one process: placements per second of the pure
// placement code as the cluster fills, and end to end (embedded etcd,
// view, scheduler server applying plans) the time until a job of many
// allocations is fully placed. It is a benchmark, not a test; see README.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

func main() {
	mode := flag.String("mode", "pure", "pure: placement code only; e2e: through etcd, the view and the scheduler server; "+
		"pass: one job's pass while the cluster holds -allocs allocations")
	nodes := flag.Int("nodes", 1000, "simulated client nodes")
	allocs := flag.Int("allocs", 10000, "allocations to place in total")
	perJob := flag.Int("per-job", 100, "allocations per job (count of its one group)")
	fillPer := flag.Int("fill-per-job", 1000, "pass mode: allocations per job filling the cluster")
	probes := flag.Int("probes", 50, "pass mode: jobs of -per-job allocations timed one at a time")
	flag.Parse()
	fmt.Printf("go %s, GOMAXPROCS %d, %d nodes, %d allocations, %d per job\n", runtime.Version(), runtime.GOMAXPROCS(0), *nodes, *allocs, *perJob)
	switch *mode {
	case "pure":
		pure(*nodes, *allocs, *perJob)
	case "e2e":
		if err := e2e(*nodes, *allocs, *perJob); err != nil {
			log.Fatal(err)
		}
	case "pass":
		if err := pass(*nodes, *allocs, *perJob, *fillPer, *probes); err != nil {
			log.Fatal(err)
		}
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}

// sizes are the mixed allocation sizes (MHz, MB), picked at random per job.
var sizes = [][2]int{{100, 128}, {250, 256}, {500, 512}, {1000, 1024}, {200, 64}}

func nodeInfos(n int) []*job.NodeInfo {
	out := make([]*job.NodeInfo, n)
	for i := range out {
		out[i] = &job.NodeInfo{Name: fmt.Sprintf("node-%04d", i), ID: fmt.Sprintf("id-%04d", i), Datacenter: "dc1",
			Resources:  job.NodeResources{CPU: 16000 + 8000*(i%3), MemoryMB: 32768 + 16384*(i%3)},
			Drivers:    map[string]job.DriverInfo{"raw_exec": {Detected: true, Healthy: true}, "docker": {Detected: true, Healthy: true}},
			Attributes: map[string]string{"kernel.name": "linux", "cpu.arch": "amd64"}, Meta: map[string]string{"rack": fmt.Sprintf("r%d", i%10)}}
	}
	return out
}

func benchJob(i, count int, rng *rand.Rand) *job.Job {
	s := sizes[rng.IntN(len(sizes))]
	j := &job.Job{ID: fmt.Sprintf("job-%05d", i), Type: job.TypeService, Datacenters: []string{"dc1"},
		Constraints: []*job.Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "linux"}},
		Groups: []*job.Group{{Name: "g", Count: count, Network: &job.Network{Ports: []*job.Port{{Label: "http"}}},
			Tasks: []*job.Task{{Name: "t", Driver: "raw_exec", Resources: &job.Resources{CPU: s[0], MemoryMB: s[1]}}}}}}
	j.Canonicalize()
	return j
}

// pure places jobs one evaluation at a time on an in-memory cluster, the
// way the server does between plans, and reports throughput per tenth of
// the run so growth with the allocations already placed shows.
func pure(nodes, total, perJob int) {
	infos := nodeInfos(nodes)
	cl := scheduler.NewCluster(infos, func(string) bool { return true }, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	ids := 0
	newID := func() string { ids++; return fmt.Sprintf("%08x-0000-4000-8000-000000000000", ids) }
	placed, failed := 0, 0
	start := time.Now()
	lap, lapPlaced := start, 0
	var worst time.Duration
	for i := 0; placed+failed < total; i++ {
		j := benchJob(i, min(perJob, total-placed-failed), rng)
		t0 := time.Now()
		r := scheduler.Schedule(scheduler.Input{Eval: &job.Evaluation{ID: newID(), JobID: j.ID, Namespace: j.Namespace},
			Job: j, Cluster: cl, Now: t0, NewID: newID})
		took := time.Since(t0)
		worst = max(worst, took)
		for _, a := range r.Place {
			cl.Add(a)
		}
		placed += len(r.Place)
		for _, q := range r.Queued {
			failed += q
		}
		if placed-lapPlaced >= total/10 {
			el := time.Since(lap)
			fmt.Printf("  placed %6d  last %5d in %8v  %9.0f placements/s\n", placed, placed-lapPlaced, el.Round(time.Microsecond), float64(placed-lapPlaced)/el.Seconds())
			lap, lapPlaced = time.Now(), placed
		}
	}
	el := time.Since(start)
	fmt.Printf("pure: %d placed, %d unplaced, %v total, %.0f placements/s, slowest job (%d allocs) %v\n",
		placed, failed, el.Round(time.Millisecond), float64(placed)/el.Seconds(), perJob, worst.Round(time.Microsecond))
}

// e2e runs the scheduler server over an embedded etcd with simulated
// nodes, registers the jobs at once and waits until every allocation is in
// the view.
func e2e(nodes, total, perJob int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, v, stop, err := openStoreAndView(ctx, "orbit-bench-sched-")
	if err != nil {
		return err
	}
	defer func() { cancel(); stop() }()
	lease, err := st.GrantLease(ctx, 30*time.Second)
	if err != nil {
		return err
	}
	for _, in := range nodeInfos(nodes) {
		if _, err := st.RegisterNode(ctx, &catalog.Node{Name: in.Name, Address: "10.0.0.1", Agent: true}, lease.ID); err != nil {
			return err
		}
		if _, err := st.PutNodeInfo(ctx, in); err != nil {
			return err
		}
	}
	s, err := scheduler.New(scheduler.Config{NodeName: "bench"}, st, v)
	if err != nil {
		return err
	}
	schedDone := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() { schedDone <- s.Run(sctx) }()
	defer func() { stop(); <-schedDone }()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	firstDone := time.Duration(0)
	for i := 0; i*perJob < total; i++ {
		j := benchJob(i, min(perJob, total-i*perJob), rng)
		ev := &job.Evaluation{ID: fmt.Sprintf("eval-%05d", i), Namespace: j.Namespace, JobID: j.ID, Type: j.Type,
			TriggeredBy: job.TriggerJobRegister, Status: job.EvalPending, CreateTime: time.Now()}
		if _, err := st.RegisterJob(ctx, store.JobRegistration{Job: j, Eval: ev, Now: time.Now(), Same: job.SameSpec}); err != nil {
			return err
		}
	}
	registered := time.Since(start)
	for {
		n := len(v.Allocs())
		if firstDone == 0 && n >= min(perJob, total) {
			firstDone = time.Since(start)
		}
		if n >= total {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	el := time.Since(start)
	fmt.Printf("e2e: %d jobs registered in %v; first job fully placed after %v; %d placed in %v: %.0f placements/s\n",
		(total+perJob-1)/perJob, registered.Round(time.Millisecond), firstDone.Round(time.Millisecond), total,
		el.Round(time.Millisecond), float64(total)/el.Seconds())
	return nil
}

// openStoreAndView opens an embedded store in a new temporary directory and
// runs a view over it until stop, which also closes the store and removes
// the directory.
func openStoreAndView(ctx context.Context, prefix string) (*store.Store, *view.View, func(), error) {
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	v := view.New(st, nil)
	viewDone := make(chan struct{})
	go func() { defer close(viewDone); v.Run(ctx) }()
	stop := func() {
		cancel()
		<-viewDone
		st.Close()
		os.RemoveAll(dir)
	}
	select {
	case <-v.Ready():
		return st, v, stop, nil
	case <-ctx.Done():
		stop()
		return nil, nil, nil, ctx.Err()
	}
}
