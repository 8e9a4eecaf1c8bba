package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func TestPlaceSpreadsGroupOverNodes(t *testing.T) {
	h := newHarness(t, node("n1"), node("n2"), node("n3"))
	h.register(svcJob("web", 6, 100, 100))
	r := h.eval()
	if len(r.Place) != 6 || len(r.Queued) != 0 && r.Queued["web"] != 0 {
		t.Fatalf("placed %d queued %v, want 6 placed", len(r.Place), r.Queued)
	}
	for n, c := range h.perNode() {
		if c != 2 {
			t.Errorf("node %s has %d allocations, want 2 each (anti-affinity)", n, c)
		}
	}
	names := map[string]bool{}
	for _, a := range r.Place {
		names[a.Name] = true
		if a.DesiredStatus != job.DesiredRun || a.JobVersion != 0 || a.Resources.CPU != 100 || a.EvalID == "" {
			t.Errorf("bad allocation %+v", a)
		}
	}
	for i := range 6 {
		if n := job.AllocName("web", "web", i); !names[n] {
			t.Errorf("missing %s", n)
		}
	}
	if r.JobStatus != job.JobRunning {
		t.Errorf("job status %q", r.JobStatus)
	}
	// Evaluating again changes nothing.
	h.runAll(true)
	if r := h.eval(); len(r.Place)+len(r.Update) != 0 {
		t.Fatalf("second evaluation not idempotent: %d placed, %d updated", len(r.Place), len(r.Update))
	}
}

func TestBinPackPrefersFullerNode(t *testing.T) {
	h := newHarness(t, node("empty"), node("busy"))
	h.others = []*job.Allocation{{ID: "x", Node: "busy", JobID: "other", Namespace: "default", TaskGroup: "g",
		Resources: job.AllocResources{CPU: 3000, MemoryMB: 6000}}}
	h.register(svcJob("web", 1, 500, 500))
	r := h.eval()
	if len(r.Place) != 1 || r.Place[0].Node != "busy" {
		t.Fatalf("placed on %v, want the busier node", r.Place)
	}
}

func TestResourceExhaustion(t *testing.T) {
	h := newHarness(t, node("n1", func(n *job.NodeInfo) { n.Resources.CPU = 1000 }),
		node("n2", func(n *job.NodeInfo) { n.Resources.CPU = 1000 }))
	h.register(svcJob("web", 3, 600, 100))
	r := h.eval()
	if len(r.Place) != 2 || r.Queued["web"] != 1 {
		t.Fatalf("placed %d queued %d, want 2 and 1", len(r.Place), r.Queued["web"])
	}
	m := r.Failed["web"]
	if m == nil || m.NodesExhausted != 2 || m.DimensionExhausted["cpu"] != 2 {
		t.Fatalf("failure metric %+v, want 2 nodes exhausted on cpu", m)
	}
	// Reserved resources count too.
	h2 := newHarness(t, node("n1", func(n *job.NodeInfo) { n.Reserved.MemoryMB = 8000 }))
	h2.register(svcJob("web", 1, 100, 300))
	if r := h2.eval(); len(r.Place) != 0 || r.Failed["web"].DimensionExhausted["memory"] != 1 {
		t.Fatalf("reserved memory ignored: %+v", r.Failed["web"])
	}
}

func TestStaticPortConflicts(t *testing.T) {
	withPort := func(j *job.Job, static int) *job.Job {
		j.Groups[0].Network = &job.Network{Mode: "host", Ports: []*job.Port{{Label: "http", Static: static}, {Label: "dyn"}}}
		return j
	}
	h := newHarness(t, node("n1"))
	h.register(withPort(svcJob("web", 2, 100, 100), 8080))
	r := h.eval()
	if len(r.Place) != 1 || r.Queued["web"] != 1 {
		t.Fatalf("one node, two static 8080: placed %d queued %d", len(r.Place), r.Queued["web"])
	}
	if ex := r.Failed["web"].DimensionExhausted; len(ex) != 1 || !strings.Contains(firstKey(ex), "8080") {
		t.Fatalf("exhausted %v, want a port collision on 8080", ex)
	}
	if p := r.Place[0].Ports; len(p) != 2 || p[0].Static != 8080 || p[1].Static != 0 {
		t.Fatalf("ports %+v", p)
	}
	h.addNode(node("n2"))
	if r := h.eval(); len(r.Place) != 1 || r.Place[0].Node != "n2" {
		t.Fatalf("second node: %+v", r.Place)
	}
	// A port the node reserves is never handed out.
	h3 := newHarness(t, node("n1", func(n *job.NodeInfo) { n.Resources.ReservedPorts = []int{8080} }))
	h3.register(withPort(svcJob("web", 1, 100, 100), 8080))
	if r := h3.eval(); len(r.Place) != 0 {
		t.Fatal("placed on a reserved port")
	}
	// Dynamic ports never conflict in the scheduler: the client picks them.
	h4 := newHarness(t, node("n1"))
	h4.register(withPort(svcJob("web", 5, 100, 100), 0))
	if r := h4.eval(); len(r.Place) != 5 {
		t.Fatalf("dynamic ports: placed %d, want 5", len(r.Place))
	}
}

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}

func TestFeasibility(t *testing.T) {
	docker := func(n *job.NodeInfo) { n.Drivers["docker"] = job.DriverInfo{Detected: true, Healthy: true} }
	unhealthyDocker := func(n *job.NodeInfo) { n.Drivers["docker"] = job.DriverInfo{Detected: true} }
	dc2 := func(n *job.NodeInfo) { n.Datacenter = "dc2" }
	vol := func(ro bool) func(*job.NodeInfo) {
		return func(n *job.NodeInfo) { n.HostVolumes = map[string]job.HostVolume{"data": {Path: "/srv", ReadOnly: ro}} }
	}
	arm := func(n *job.NodeInfo) { n.Attributes["cpu.arch"] = "arm64"; n.Meta["rack"] = "r2" }
	dmz := func(addr string) func(*job.NodeInfo) {
		return func(n *job.NodeInfo) {
			n.HostNetworks = map[string]job.HostNetwork{"dmz": {CIDR: "10.77.2.0/24", Address: addr, ReservedPorts: "22,8000-8010"}}
		}
	}
	port := func(label string, static int, network string) func(*job.Job) {
		return func(j *job.Job) {
			j.Groups[0].Network = &job.Network{Ports: []*job.Port{{Label: label, Static: static, HostNetwork: network}}}
		}
	}
	cases := []struct {
		name  string
		nodes []*job.NodeInfo
		edit  func(*job.Job)
		want  string // node chosen, "" for none
		why   string // a ConstraintFiltered key when none
	}{
		{"driver present", []*job.NodeInfo{node("a"), node("b", docker)}, func(j *job.Job) { j.Groups[0].Tasks[0].Driver = "docker" }, "b", ""},
		{"driver unhealthy", []*job.NodeInfo{node("a", unhealthyDocker)}, func(j *job.Job) { j.Groups[0].Tasks[0].Driver = "docker" }, "", "missing drivers"},
		{"datacenter", []*job.NodeInfo{node("a"), node("b", dc2)}, func(j *job.Job) { j.Datacenters = []string{"dc2"} }, "b", ""},
		{"datacenter glob", []*job.NodeInfo{node("a", dc2)}, func(j *job.Job) { j.Datacenters = []string{"dc*"} }, "a", ""},
		{"no datacenter", []*job.NodeInfo{node("a")}, func(j *job.Job) { j.Datacenters = []string{"eu"} }, "", "datacenter"},
		{"attr constraint", []*job.NodeInfo{node("a"), node("b", arm)}, func(j *job.Job) {
			j.Constraints = []*job.Constraint{{Attribute: "${attr.cpu.arch}", Operator: "=", Value: "arm64"}}
		}, "b", ""},
		{"meta constraint on task", []*job.NodeInfo{node("a"), node("b", arm)}, func(j *job.Job) {
			j.Groups[0].Tasks[0].Constraints = []*job.Constraint{{Attribute: "${meta.rack}", Value: "r2"}}
		}, "b", ""},
		{"node name !=", []*job.NodeInfo{node("a"), node("b")}, func(j *job.Job) {
			j.Groups[0].Constraints = []*job.Constraint{{Attribute: "${node.unique.name}", Operator: "!=", Value: "a"}}
		}, "b", ""},
		{"unsatisfiable", []*job.NodeInfo{node("a")}, func(j *job.Job) {
			j.Constraints = []*job.Constraint{{Attribute: "${attr.kernel.name}", Operator: "=", Value: "windows"}}
		}, "", "${attr.kernel.name} = windows"},
		{"host volume", []*job.NodeInfo{node("a"), node("b", vol(false))}, func(j *job.Job) {
			j.Groups[0].Volumes = []*job.Volume{{Name: "d", Type: "host", Source: "data"}}
		}, "b", ""},
		{"read-only host volume for a writer", []*job.NodeInfo{node("a", vol(true))}, func(j *job.Job) {
			j.Groups[0].Volumes = []*job.Volume{{Name: "d", Type: "host", Source: "data"}}
		}, "", "missing compatible host volumes"},
		{"read-only host volume for a reader", []*job.NodeInfo{node("a", vol(true))}, func(j *job.Job) {
			j.Groups[0].Volumes = []*job.Volume{{Name: "d", Type: "host", Source: "data", ReadOnly: true}}
		}, "a", ""},
		{"host network present", []*job.NodeInfo{node("a"), node("b", dmz("10.77.2.1"))}, port("http", 0, "dmz"), "b", ""},
		{"host network absent", []*job.NodeInfo{node("a")}, port("http", 0, "dmz"), "", `missing host network "dmz" for port "http"`},
		{"host network declared but no address", []*job.NodeInfo{node("a", dmz(""))}, port("http", 0, "dmz"), "", `missing host network "dmz" for port "http"`},
		{"default host network is the node's", []*job.NodeInfo{node("a")}, port("http", 0, "default"), "a", ""},
		{"static port outside the network's reserved ports", []*job.NodeInfo{node("a", dmz("10.77.2.1"))}, port("http", 8011, "dmz"), "a", ""},
		{"ineligible node", []*job.NodeInfo{node("a", func(n *job.NodeInfo) { n.Eligibility = job.NodeIneligible }), node("b")}, nil, "b", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.nodes...)
			j := svcJob("web", 1, 100, 100)
			if c.edit != nil {
				c.edit(j)
			}
			h.register(j)
			r := h.eval()
			if c.want == "" {
				if len(r.Place) != 0 {
					t.Fatalf("placed on %s, want nothing", r.Place[0].Node)
				}
				if f := r.Failed["web"]; f == nil || f.ConstraintFiltered[c.why] == 0 {
					t.Fatalf("failure %+v, want filtered by %q", f, c.why)
				}
				return
			}
			if len(r.Place) != 1 || r.Place[0].Node != c.want {
				t.Fatalf("placed %v, want on %s", r.Place, c.want)
			}
		})
	}
}

func TestHostNetworkReservedPorts(t *testing.T) {
	n := node("a", func(n *job.NodeInfo) {
		n.HostNetworks = map[string]job.HostNetwork{"dmz": {Address: "10.77.2.1", ReservedPorts: "22,8000-8010"}}
	})
	h := newHarness(t, n)
	j := svcJob("web", 1, 100, 100)
	j.Groups[0].Network = &job.Network{Ports: []*job.Port{{Label: "http", Static: 8005, HostNetwork: "dmz"}}}
	h.register(j)
	r := h.eval()
	if len(r.Place) != 0 {
		t.Fatalf("placed on a port the host network reserves")
	}
	if f := r.Failed["web"]; f == nil || f.DimensionExhausted["network: reserved port collision http=8005"] == 0 {
		t.Fatalf("failure %+v, want a reserved port collision", f)
	}
}

func TestDownNodeIsInfeasible(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	h.alive["a"] = false
	h.register(svcJob("web", 3, 100, 100))
	h.eval()
	if pn := h.perNode(); pn["a"] != 0 || pn["b"] != 3 {
		t.Fatalf("per node %v, want all on b", pn)
	}
}

func TestDistinctHostsAndProperty(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	j := svcJob("web", 3, 100, 100)
	j.Constraints = []*job.Constraint{{Operator: OpDistinctHosts, Value: "true"}}
	h.register(j)
	r := h.eval()
	if len(r.Place) != 2 || r.Queued["web"] != 1 {
		t.Fatalf("distinct_hosts on 2 nodes: placed %d queued %d", len(r.Place), r.Queued["web"])
	}
	rack := func(v string) func(*job.NodeInfo) { return func(n *job.NodeInfo) { n.Meta["rack"] = v } }
	h2 := newHarness(t, node("a", rack("r1")), node("b", rack("r1")), node("c", rack("r2")))
	j2 := svcJob("web", 3, 100, 100)
	j2.Groups[0].Constraints = []*job.Constraint{{Attribute: "${meta.rack}", Operator: OpDistinctProperty, Value: "1"}}
	h2.register(j2)
	r = h2.eval()
	if len(r.Place) != 2 {
		t.Fatalf("distinct_property rack limit 1 over 2 racks: placed %d, want 2", len(r.Place))
	}
	racks := map[string]bool{}
	for _, a := range r.Place {
		racks[h2.nodes[a.Node].Meta["rack"]] = true
	}
	if len(racks) != 2 {
		t.Fatalf("racks %v", racks)
	}
}

func TestAffinityAndSpread(t *testing.T) {
	rack := func(v string) func(*job.NodeInfo) { return func(n *job.NodeInfo) { n.Meta["rack"] = v } }
	h := newHarness(t, node("a", rack("r1")), node("b", rack("r2")), node("c", rack("r2")))
	j := svcJob("web", 1, 100, 100)
	j.Groups[0].Affinities = []*job.Affinity{{Attribute: "${meta.rack}", Operator: "=", Value: "r1", Weight: 100}}
	h.register(j)
	if r := h.eval(); r.Place[0].Node != "a" {
		t.Fatalf("affinity rack r1: placed on %s", r.Place[0].Node)
	}
	// Negative affinity avoids.
	h2 := newHarness(t, node("a", rack("r1")), node("b", rack("r2")))
	j2 := svcJob("web", 1, 100, 100)
	j2.Affinities = []*job.Affinity{{Attribute: "${meta.rack}", Value: "r2", Weight: -100}}
	h2.register(j2)
	if r := h2.eval(); r.Place[0].Node != "a" {
		t.Fatalf("anti-affinity rack r2: placed on %s", r.Place[0].Node)
	}
	// Spread over datacenters: 4 nodes in dc1, 1 in dc2, count 4 → 2 and 2.
	dc2 := func(n *job.NodeInfo) { n.Datacenter = "dc2" }
	h3 := newHarness(t, node("a"), node("b"), node("c"), node("d"), node("e", dc2))
	j3 := svcJob("web", 4, 100, 100)
	j3.Datacenters = []string{"dc1", "dc2"}
	j3.Spreads = []*job.Spread{{Attribute: "${node.datacenter}", Weight: 100}}
	h3.register(j3)
	h3.eval()
	per := map[string]int{}
	for _, a := range h3.live() {
		per[h3.nodes[a.Node].Datacenter]++
	}
	if per["dc1"] != 2 || per["dc2"] != 2 {
		t.Fatalf("spread by datacenter %v, want 2/2", per)
	}
	// Spread targets: 75% dc1.
	h4 := newHarness(t, node("a"), node("b"), node("c"), node("e", dc2), node("f", dc2))
	j4 := svcJob("web", 4, 100, 100)
	j4.Datacenters = []string{"dc1", "dc2"}
	j4.Spreads = []*job.Spread{{Attribute: "${node.datacenter}", Weight: 100,
		Targets: []job.SpreadTarget{{Value: "dc1", Percent: 75}, {Value: "dc2", Percent: 25}}}}
	h4.register(j4)
	h4.eval()
	per = map[string]int{}
	for _, a := range h4.live() {
		per[h4.nodes[a.Node].Datacenter]++
	}
	if per["dc1"] != 3 || per["dc2"] != 1 {
		t.Fatalf("spread targets %v, want 3/1", per)
	}
}

func TestScaleUpAndDown(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	h.register(svcJob("web", 3, 100, 100))
	h.eval()
	h.runAll(true)
	h.register(svcJob("web", 1, 100, 100))
	r := h.eval()
	if len(r.Place) != 0 || r.Stops != 2 {
		t.Fatalf("scale 3→1: placed %d stopped %d", len(r.Place), r.Stops)
	}
	h.runAll(true)
	live := h.live()
	if len(live) != 1 || live[0].Index != 0 || live[0].JobVersion != 1 {
		t.Fatalf("after scale down: %+v, want web[0] updated in place to version 1", live)
	}
	h.register(svcJob("web", 4, 100, 100))
	r = h.eval()
	if len(r.Place) != 3 || r.Stops != 0 {
		t.Fatalf("scale 1→4: placed %d stopped %d", len(r.Place), r.Stops)
	}
}

func TestNodeLossReplacesAllocations(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	h.register(svcJob("web", 4, 100, 100))
	h.eval()
	h.runAll(true)
	onA := h.perNode()["a"]
	if onA == 0 {
		t.Fatal("nothing on a")
	}
	h.alive["a"] = false
	r := h.eval()
	lost := 0
	for _, a := range r.Update {
		if a.Lost && a.DesiredStatus == job.DesiredStop {
			lost++
		}
	}
	if lost != onA || len(r.Place) != onA {
		t.Fatalf("lost %d placed %d, want %d each", lost, len(r.Place), onA)
	}
	for _, a := range r.Place {
		if a.Node != "b" || a.PreviousAllocation == "" {
			t.Fatalf("replacement %+v, want on b with previous allocation", a)
		}
	}
	if pn := h.perNode(); pn["b"] != 4 {
		t.Fatalf("per node %v", pn)
	}
}

func TestRescheduleFailedAllocation(t *testing.T) {
	h := newHarness(t, node("a"), node("b"))
	j := svcJob("web", 1, 100, 100)
	j.Groups[0].Reschedule = &job.Reschedule{Attempts: 2, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: "constant"}
	h.register(j)
	first := h.eval().Place[0]
	h.runAll(true)
	h.setStatus(first.ID, job.ClientFailed)
	r := h.eval()
	if len(r.Place) != 0 || len(r.Evals) != 1 || !r.Evals[0].WaitUntil.Equal(h.now.Add(10*time.Second)) {
		t.Fatalf("failed alloc before its delay: placed %d, follow-ups %+v", len(r.Place), r.Evals)
	}
	if h.allocs[first.ID].FollowupEvalID != r.Evals[0].ID {
		t.Fatal("follow-up eval not recorded on the allocation")
	}
	if r := h.eval(); len(r.Evals) != 0 || len(r.Place) != 0 {
		t.Fatal("second evaluation before the delay created another follow-up")
	}
	h.now = h.now.Add(11 * time.Second)
	r = h.eval()
	if len(r.Place) != 1 {
		t.Fatalf("after the delay: placed %d", len(r.Place))
	}
	second := r.Place[0]
	if second.PreviousAllocation != first.ID || len(second.RescheduleEvents) != 1 || second.Node == first.Node {
		t.Fatalf("replacement %+v: want previous %s, one event, another node than %s", second, first.ID, first.Node)
	}
	if old := h.allocs[first.ID]; old.NextAllocation != second.ID || old.DesiredStatus != job.DesiredStop {
		t.Fatalf("old allocation %+v", old)
	}
	// Second failure: attempt 2 of 2.
	h.runAll(true)
	h.setStatus(second.ID, job.ClientFailed)
	h.now = h.now.Add(11 * time.Second)
	third := h.eval().Place
	if len(third) != 1 {
		t.Fatal("second reschedule did not happen")
	}
	h.runAll(true)
	h.setStatus(third[0].ID, job.ClientFailed)
	h.now = h.now.Add(time.Minute)
	if r := h.eval(); len(r.Place) != 0 || len(r.Evals) != 0 {
		t.Fatalf("attempts exhausted but placed %d", len(r.Place))
	}
}

func TestRescheduleDelayFunctions(t *testing.T) {
	ev := make([]job.RescheduleEvent, 4)
	cases := []struct {
		fn   string
		prev int
		want time.Duration
	}{
		{"constant", 3, 5 * time.Second},
		{"exponential", 0, 5 * time.Second},
		{"exponential", 3, 40 * time.Second},
		{"exponential", 4, 60 * time.Second}, // capped
		{"fibonacci", 0, 5 * time.Second},
		{"fibonacci", 2, 10 * time.Second},
		{"fibonacci", 3, 15 * time.Second},
	}
	for _, c := range cases {
		pol := &job.Reschedule{Delay: 5 * time.Second, DelayFunction: c.fn, MaxDelay: time.Minute}
		if got := rescheduleDelay(pol, ev[:c.prev]); got != c.want {
			t.Errorf("%s after %d: %v, want %v", c.fn, c.prev, got, c.want)
		}
	}
}

func TestBatchCompleteIsNotReplaced(t *testing.T) {
	h := newHarness(t, node("a"))
	j := svcJob("once", 2, 100, 100)
	j.Type = job.TypeBatch
	h.register(j)
	r := h.eval()
	if r.Deployment != nil {
		t.Fatal("batch job got a deployment")
	}
	for _, a := range r.Place {
		h.setStatus(a.ID, job.ClientComplete)
	}
	r = h.eval()
	if len(r.Place) != 0 || r.JobStatus != job.JobDead {
		t.Fatalf("complete batch: placed %d status %s", len(r.Place), r.JobStatus)
	}
}

func TestServiceCompleteIsReplaced(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(svcJob("web", 1, 100, 100))
	a := h.eval().Place[0]
	h.runAll(true)
	h.setStatus(a.ID, job.ClientComplete)
	if r := h.eval(); len(r.Place) != 1 || r.Place[0].PreviousAllocation != a.ID {
		t.Fatalf("completed service allocation not replaced: %+v", r.Place)
	}
}

func TestStopJob(t *testing.T) {
	h := newHarness(t, node("a"))
	h.register(svcJob("web", 2, 100, 100))
	h.eval()
	h.runAll(true)
	h.stopped = true
	r := h.eval()
	if r.Stops != 2 || r.JobStatus != job.JobDead {
		t.Fatalf("stop: %d stopped, status %s", r.Stops, r.JobStatus)
	}
	// Purged (no job): allocations stop too.
	h2 := newHarness(t, node("a"))
	h2.register(svcJob("web", 2, 100, 100))
	h2.eval()
	in := h2.input(job.TriggerJobDeregister)
	in.Job = nil
	if r := Schedule(in); r.Stops != 2 {
		t.Fatalf("purged job: %d stopped", r.Stops)
	}
}

func TestSystemJob(t *testing.T) {
	h := newHarness(t, node("a"), node("b"), node("c", func(n *job.NodeInfo) { n.Attributes["kernel.name"] = "darwin" }))
	j := svcJob("agent", 1, 100, 100)
	j.Type = job.TypeSystem
	j.Constraints = []*job.Constraint{{Attribute: "${attr.kernel.name}", Value: "linux"}}
	h.register(j)
	r := h.eval()
	if len(r.Place) != 2 || h.perNode()["c"] != 0 {
		t.Fatalf("system job placed %d, per node %v", len(r.Place), h.perNode())
	}
	h.runAll(true)
	h.addNode(node("d"))
	if r := h.eval(); len(r.Place) != 1 || r.Place[0].Node != "d" {
		t.Fatalf("new node: %+v", r.Place)
	}
	h.runAll(true)
	h.alive["a"] = false
	r = h.eval()
	if len(r.Place) != 0 || r.Stops != 1 {
		t.Fatalf("node a down: placed %d stopped %d, want the alloc lost and not moved", len(r.Place), r.Stops)
	}
}

func TestInPlaceUpdateKeepsAllocations(t *testing.T) {
	h := newHarness(t, node("a"))
	j := svcJob("web", 2, 100, 100)
	h.register(j)
	h.eval()
	h.runAll(true)
	j2 := svcJob("web", 2, 100, 100)
	j2.Groups[0].Update = &job.Update{MaxParallel: 1, MinHealthyTime: time.Second} // update policy only
	h.register(j2)
	r := h.eval()
	if len(r.Place) != 0 || r.Stops != 0 || len(r.Update) != 2 {
		t.Fatalf("non-destructive change: placed %d stopped %d updated %d", len(r.Place), r.Stops, len(r.Update))
	}
	for _, a := range r.Update {
		if a.JobVersion != 1 {
			t.Fatalf("in-place update left version %d", a.JobVersion)
		}
	}
}
