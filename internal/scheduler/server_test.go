package scheduler_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/scheduler"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
)

type cluster struct {
	t      *testing.T
	st     *store.Store
	v      *view.View
	leases map[string]int64
}

func newCluster(t *testing.T) *cluster {
	st := orbittest.NewStore(t)
	return &cluster{t: t, st: st, v: orbittest.NewView(t, st), leases: map[string]int64{}}
}

// startScheduler runs a scheduler server until the test ends or stop is
// called; stop returns once the server has returned, so no plan of its is
// still in flight.
func (c *cluster) startScheduler(name, election string) (stop func()) {
	s, err := scheduler.New(scheduler.Config{NodeName: name, Election: election, Tick: 50 * time.Millisecond,
		Logger: orbittest.Logger(c.t)}, c.st, c.v)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			c.t.Errorf("scheduler: %v", err)
		}
	})
	c.t.Cleanup(stop)
	return stop
}

// caughtUp waits until the view has applied every write made so far.
func (c *cluster) caughtUp() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rev, err := c.st.Revision(ctx)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.v.WaitRevision(ctx, rev); err != nil {
		c.t.Fatalf("view at revision %d: %v", rev, err)
	}
}

// addNode registers a live client node with its fingerprint.
func (c *cluster) addNode(name string, cpu, mem int) {
	ctx, cancel := context.WithCancel(context.Background())
	c.t.Cleanup(cancel)
	l, err := c.st.GrantLease(ctx, 2*time.Second)
	if err != nil {
		c.t.Fatal(err)
	}
	c.leases[name] = l.ID
	if _, err := c.st.RegisterNode(ctx, &catalog.Node{Name: name, Address: "127.0.0.1", Datacenter: "dc1", Agent: true}, l.ID); err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.st.PutNodeInfo(ctx, &job.NodeInfo{Name: name, ID: "id-" + name, Datacenter: "dc1", Address: "127.0.0.1",
		Resources: job.NodeResources{CPU: cpu, MemoryMB: mem},
		Drivers:   map[string]job.DriverInfo{"raw_exec": {Detected: true, Healthy: true}}}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) register(j *job.Job) {
	j.Canonicalize()
	now := time.Now()
	_, err := c.st.RegisterJob(context.Background(), store.JobRegistration{Job: j, Now: now, Same: job.SameSpec,
		Eval: &job.Evaluation{ID: fmt.Sprintf("eval-%s-%d", j.ID, now.UnixNano()), Namespace: j.Namespace, JobID: j.ID,
			Type: j.Type, Priority: j.Priority, TriggeredBy: job.TriggerJobRegister, Status: job.EvalPending, CreateTime: now}})
	if err != nil {
		c.t.Fatal(err)
	}
}

// live returns the job's allocations that should run, per node.
func (c *cluster) live(jobID string) (map[string]int, []*job.Allocation) {
	per := map[string]int{}
	var out []*job.Allocation
	for _, s := range c.v.JobAllocs(job.DefaultNamespace, jobID) {
		if a := s.Alloc.V; a.DesiredStatus == job.DesiredRun {
			per[a.Node]++
			out = append(out, a)
		}
	}
	return per, out
}

func svc(id string, count, cpu int) *job.Job {
	return &job.Job{ID: id, Type: job.TypeService, Groups: []*job.Group{{Name: "g", Count: count,
		Tasks: []*job.Task{{Name: "t", Driver: "raw_exec", Resources: &job.Resources{CPU: cpu, MemoryMB: 64}}}}}}
}

func TestServerPlacesAndReplacesLostAllocations(t *testing.T) {
	c := newCluster(t)
	c.addNode("a", 1000, 4096)
	c.addNode("b", 1000, 4096)
	c.startScheduler("s1", "scheduler")
	c.register(svc("web", 4, 100))
	orbittest.Eventually(t, 10*time.Second, "4 allocations", func() bool { _, l := c.live("web"); return len(l) == 4 })
	per, _ := c.live("web")
	if per["a"] != 2 || per["b"] != 2 {
		t.Fatalf("per node %v, want 2/2", per)
	}
	// ApplyPlan writes the allocations node by node and the evaluation
	// after them, in a later transaction: seeing the allocations does not
	// mean the evaluation is complete yet.
	var reg *job.Evaluation
	orbittest.Eventually(t, 10*time.Second, "register eval complete", func() bool {
		for _, it := range c.v.JobEvals(job.DefaultNamespace, "web") {
			if e := it.V; e.TriggeredBy == job.TriggerJobRegister {
				reg = it.V
			}
		}
		return reg != nil && reg.Status != job.EvalPending
	})
	if reg.Status != job.EvalComplete || reg.PlacedAllocs != 4 {
		t.Fatalf("register eval %+v", reg)
	}
	orbittest.Eventually(t, 5*time.Second, "job running", func() bool {
		h, ok := c.v.JobHead(job.DefaultNamespace, "web")
		return ok && h.V.Status == job.JobRunning
	})
	// Node a dies: its allocations are lost and come back on b.
	if err := c.st.RevokeLease(context.Background(), c.leases["a"]); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 10*time.Second, "allocations moved to b", func() bool {
		per, _ := c.live("web")
		return per["a"] == 0 && per["b"] == 4
	})
	lost := 0
	for _, s := range c.v.JobAllocs(job.DefaultNamespace, "web") {
		if s.Alloc.V.Lost {
			lost++
		}
	}
	if lost != 2 {
		t.Fatalf("%d allocations marked lost, want 2", lost)
	}
}

// Two schedulers that both think they lead (separate elections) never
// book a node beyond its capacity nor place a job twice.
func TestTwoSchedulersNeverDoubleBook(t *testing.T) {
	c := newCluster(t)
	for i := range 4 {
		c.addNode(fmt.Sprintf("n%d", i), 1000, 4096)
	}
	stop1 := c.startScheduler("s1", "split-a")
	stop2 := c.startScheduler("s2", "split-b")
	for i := range 8 {
		c.register(svc(fmt.Sprintf("j%d", i), 5, 100)) // 40 × 100 MHz = the whole cluster
	}
	orbittest.Eventually(t, 20*time.Second, "every job placed", func() bool {
		for i := range 8 {
			if _, l := c.live(fmt.Sprintf("j%d", i)); len(l) != 5 {
				return false
			}
		}
		return true
	})
	// A scheduler may still be applying a plan built on an older snapshot:
	// stop both, so every plan has landed, and read what they left.
	stop1()
	stop2()
	c.caughtUp()
	used := map[string]int{}
	for i := range 8 {
		_, l := c.live(fmt.Sprintf("j%d", i))
		if len(l) != 5 {
			t.Fatalf("job j%d has %d allocations, want 5", i, len(l))
		}
		for _, a := range l {
			used[a.Node] += a.Resources.CPU
		}
	}
	for n, cpu := range used {
		if cpu > 1000 {
			t.Errorf("node %s booked %d MHz of 1000", n, cpu)
		}
	}
}

func TestSchedulerLeadershipFailsOver(t *testing.T) {
	c := newCluster(t)
	c.addNode("a", 1000, 4096)
	ctx, cancel := context.WithCancel(context.Background())
	s1, _ := scheduler.New(scheduler.Config{NodeName: "s1", Tick: 50 * time.Millisecond}, c.st, c.v)
	done := make(chan error, 1)
	go func() { done <- s1.Run(ctx) }()
	c.register(svc("one", 1, 100))
	orbittest.Eventually(t, 10*time.Second, "placed by s1", func() bool { _, l := c.live("one"); return len(l) == 1 })
	cancel()
	<-done
	c.startScheduler("s2", "scheduler")
	c.register(svc("two", 1, 100))
	orbittest.Eventually(t, 10*time.Second, "placed by s2", func() bool { _, l := c.live("two"); return len(l) == 1 })
}

// countingView counts the reads that cost in proportion to the cluster.
type countingView struct {
	*view.View
	mu     sync.Mutex
	wholes map[string]int
}

func (c *countingView) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.wholes[name]++
}

func (c *countingView) Allocs() []view.AllocState { c.count("Allocs"); return c.View.Allocs() }
func (c *countingView) AllocStatuses() []view.Item[job.AllocStatus] {
	c.count("AllocStatuses")
	return c.View.AllocStatuses()
}
func (c *countingView) Evals() []view.Item[job.Evaluation] { c.count("Evals"); return c.View.Evals() }
func (c *countingView) JobKeys() []string                  { c.count("JobKeys"); return c.View.JobKeys() }

// A pass reads the job it evaluates through the view's indexes: every
// allocation is read once, when the server takes leadership, never again
// per pass, however many passes run.
func TestPassesDoNotReadTheWholeCluster(t *testing.T) {
	c := newCluster(t)
	c.addNode("a", 4000, 8192)
	c.addNode("b", 4000, 8192)
	cv := &countingView{View: c.v, wholes: map[string]int{}}
	s, err := scheduler.New(scheduler.Config{NodeName: "s1", Tick: 20 * time.Millisecond, Logger: orbittest.Logger(t)}, c.st, cv)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for i, id := range []string{"web", "api", "db"} {
		c.register(svc(id, 3, 100))
		orbittest.Eventually(t, 10*time.Second, id+" placed", func() bool { _, l := c.live(id); return len(l) == 3 })
		c.register(svc(id, 2+i, 100)) // scale: a second evaluation of the same job
		orbittest.Eventually(t, 10*time.Second, id+" scaled", func() bool { _, l := c.live(id); return len(l) == 2+i })
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cv.mu.Lock()
	defer cv.mu.Unlock()
	want := map[string]int{"Allocs": 1, "JobKeys": 1}
	if len(cv.wholes) != len(want) || cv.wholes["Allocs"] != 1 || cv.wholes["JobKeys"] != 1 {
		t.Fatalf("whole-cluster reads %v, want %v (once, at the start of leadership)", cv.wholes, want)
	}
}
