package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

// pass measures what one scheduling pass costs while the cluster holds
// many allocations: it fills a real store and view with total allocations
// (jobs of fillPer, placed by the placement code and written straight to
// the store), starts the scheduler server, waits until it has looked at
// every job once, then registers probes jobs of perJob allocations one at
// a time and times each from its register until the view holds all its
// allocations: one evaluation pass, its plan written, and the watch back.
func pass(nodes, total, perJob, fillPer, probes int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, v, stop, err := openStoreAndView(ctx, "orbit-bench-pass-")
	if err != nil {
		return err
	}
	defer func() { cancel(); stop() }()

	start := time.Now()
	infos := nodeInfos(nodes)
	if err := registerNodes(ctx, st, infos); err != nil {
		return err
	}
	if err := fill(ctx, st, infos, total, fillPer); err != nil {
		return err
	}
	rev, err := st.Revision(ctx)
	if err != nil {
		return err
	}
	if err := v.WaitRevision(ctx, rev); err != nil {
		return err
	}
	fmt.Printf("filled %d allocations in %d jobs on %d nodes in %v\n", len(v.Allocs()), len(v.JobKeys()), nodes,
		time.Since(start).Round(time.Millisecond))

	s, err := scheduler.New(scheduler.Config{NodeName: "bench"}, st, v)
	if err != nil {
		return err
	}
	schedDone := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	go func() { schedDone <- s.Run(sctx) }()
	defer func() { stop(); <-schedDone }()
	start = time.Now()
	if err := settle(ctx, st, v); err != nil {
		return err
	}
	fmt.Printf("scheduler took leadership and looked at every job in %v\n", time.Since(start).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(3, 4))
	var took []time.Duration
	const warmup = 3
	for i := range probes + warmup {
		j := benchJob(1_000_000+i, perJob, rng)
		d, err := probe(ctx, st, v, j)
		if err != nil {
			return err
		}
		if i >= warmup {
			took = append(took, d)
		}
	}
	slices.Sort(took)
	q := func(p float64) time.Duration {
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(10 * time.Microsecond)
	}
	fmt.Printf("pass: %d allocations in the cluster, job of %d: p50 %v  p90 %v  max %v over %d probes (register → all placed in the view)\n",
		total, perJob, q(0.5), q(0.9), took[len(took)-1].Round(10*time.Microsecond), len(took))
	return nil
}

func registerNodes(ctx context.Context, st *store.Store, infos []*job.NodeInfo) error {
	lease, err := st.GrantLease(ctx, 60*time.Second)
	if err != nil {
		return err
	}
	for _, in := range infos {
		if _, err := st.RegisterNode(ctx, &catalog.Node{Name: in.Name, Address: "10.0.0.1", Agent: true}, lease.ID); err != nil {
			return err
		}
		if _, err := st.PutNodeInfo(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// fill registers jobs of fillPer small allocations (10 MHz, 16 MB, no
// ports) and writes the placements the placement code picks for them,
// MaxTxnOps keys per transaction.
func fill(ctx context.Context, st *store.Store, infos []*job.NodeInfo, total, fillPer int) error {
	cl := scheduler.NewCluster(infos, func(string) bool { return true }, nil)
	ids := 0
	newID := func() string { ids++; return fmt.Sprintf("%08x-0000-4000-8000-%012x", ids, ids) }
	var ops []store.Op
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		_, _, err := st.Txn(ctx, nil, ops)
		ops = ops[:0]
		return err
	}
	now := time.Now()
	for i := 0; i*fillPer < total; i++ {
		j := &job.Job{ID: fmt.Sprintf("fill-%05d", i), Type: job.TypeService, Datacenters: []string{"dc1"},
			Groups: []*job.Group{{Name: "g", Count: min(fillPer, total-i*fillPer),
				Tasks: []*job.Task{{Name: "t", Driver: "raw_exec", Resources: &job.Resources{CPU: 10, MemoryMB: 16}}}}}}
		j.Canonicalize()
		if _, err := st.RegisterJob(ctx, store.JobRegistration{Job: j, Now: now, Same: job.SameSpec}); err != nil {
			return fmt.Errorf("register %s: %w", j.ID, err)
		}
		r := scheduler.Schedule(scheduler.Input{Eval: &job.Evaluation{ID: newID(), JobID: j.ID, Namespace: j.Namespace},
			Job: j, Cluster: cl, Now: now, NewID: newID})
		for _, a := range r.Place {
			cl.Add(a)
			b, err := json.Marshal(a)
			if err != nil {
				return err
			}
			ops = append(ops, store.Put(store.AllocKey(a.ID), b))
			if len(ops) == store.MaxTxnOps {
				if err := flush(); err != nil {
					return fmt.Errorf("write allocations: %w", err)
				}
			}
		}
	}
	return flush()
}

// settle waits until the scheduler has evaluated every job once: the
// store's revision stops moving for a second.
func settle(ctx context.Context, st *store.Store, v *view.View) error {
	last, quiet := int64(-1), time.Now()
	for time.Since(quiet) < time.Second {
		rev, err := st.Revision(ctx)
		if err != nil {
			return err
		}
		if rev != last {
			last, quiet = rev, time.Now()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return v.WaitRevision(ctx, last)
}

// probe registers j with its evaluation and returns how long until the
// view holds every allocation of it.
func probe(ctx context.Context, st *store.Store, v *view.View, j *job.Job) (time.Duration, error) {
	want := j.Groups[0].Count
	res := view.JobRes(view.JobKey(j.Namespace, j.ID))
	idx := v.Index(res)
	t0 := time.Now()
	ev := &job.Evaluation{ID: "eval-" + j.ID, Namespace: j.Namespace, JobID: j.ID, Type: j.Type,
		TriggeredBy: job.TriggerJobRegister, Status: job.EvalPending, CreateTime: t0}
	if _, err := st.RegisterJob(ctx, store.JobRegistration{Job: j, Eval: ev, Now: t0, Same: job.SameSpec}); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for len(v.JobAllocs(j.Namespace, j.ID)) < want {
		idx = v.Wait(wctx, res, idx)
		if wctx.Err() != nil {
			return 0, fmt.Errorf("job %s: %d of %d allocations placed after 30s", j.ID, len(v.JobAllocs(j.Namespace, j.ID)), want)
		}
	}
	return time.Since(t0), nil
}
