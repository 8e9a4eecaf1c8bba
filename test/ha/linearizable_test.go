package ha_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/orbit/orbit/internal/orbittest"
)

// kvInput is one KV operation on one key: get (a ?consistent read), put,
// create (PUT ?cas=0: only when the key is absent) or delete.
type kvInput struct {
	op, key, value string
}

// kvOutput is what the agent answered. unknown marks a write whose outcome
// is not known (it failed after it may have reached the store): it may
// have taken effect at any time after its call, or never.
type kvOutput struct {
	ok, found bool
	value     string
	unknown   bool
}

// kvState is one key's state.
type kvState struct {
	found bool
	value string
}

// kvModel is Consul's KV on one key at a time, as a sequential
// specification.
var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(kvInput).key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return kvState{} },
	Step: func(state, input, output any) (bool, any) {
		return kvStep(state.(kvState), input.(kvInput), output.(kvOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(kvInput), output.(kvOutput)
		return fmt.Sprintf("%s(%s,%s) -> %+v", in.op, in.key, in.value, out)
	},
}

// kvStep is the specification: whether out is a possible answer to in on
// st, and the state after.
func kvStep(st kvState, in kvInput, out kvOutput) (bool, any) {
	switch in.op {
	case "get":
		return out.found == st.found && (!st.found || out.value == st.value), st
	case "put":
		return out.unknown || out.ok, kvState{found: true, value: in.value}
	case "delete":
		return out.unknown || out.ok, kvState{}
	case "create":
		if out.unknown {
			if st.found {
				return true, st
			}
			return true, kvState{found: true, value: in.value}
		}
		if out.ok {
			return !st.found, kvState{found: true, value: in.value}
		}
		return st.found, st
	}
	return false, st
}

func TestKVStep(t *testing.T) {
	absent, x := kvState{}, kvState{found: true, value: "x"}
	tests := []struct {
		name string
		st   kvState
		in   kvInput
		out  kvOutput
		ok   bool
		next kvState
	}{
		{"get absent", absent, kvInput{op: "get"}, kvOutput{}, true, absent},
		{"get sees a value that is not there", absent, kvInput{op: "get"}, kvOutput{found: true, value: "x"}, false, absent},
		{"get the value", x, kvInput{op: "get"}, kvOutput{found: true, value: "x"}, true, x},
		{"get a stale value", x, kvInput{op: "get"}, kvOutput{found: true, value: "old"}, false, x},
		{"put", absent, kvInput{op: "put", value: "x"}, kvOutput{ok: true}, true, x},
		{"delete", x, kvInput{op: "delete"}, kvOutput{ok: true}, true, absent},
		{"create on absent", absent, kvInput{op: "create", value: "x"}, kvOutput{ok: true}, true, x},
		{"create on present succeeds", x, kvInput{op: "create", value: "y"}, kvOutput{ok: true}, false, kvState{found: true, value: "y"}},
		{"create on present refused", x, kvInput{op: "create", value: "y"}, kvOutput{}, true, x},
		{"create on absent refused", absent, kvInput{op: "create", value: "y"}, kvOutput{}, false, absent},
		{"unknown create on absent applies", absent, kvInput{op: "create", value: "y"}, kvOutput{unknown: true}, true, kvState{found: true, value: "y"}},
		{"unknown create on present", x, kvInput{op: "create", value: "y"}, kvOutput{unknown: true}, true, x},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, next := kvStep(tt.st, tt.in, tt.out)
			if ok != tt.ok || (ok && next != tt.next) {
				t.Fatalf("kvStep = %v, %+v; want %v, %+v", ok, next, tt.ok, tt.next)
			}
		})
	}
}

// history records operations for porcupine.
type history struct {
	start time.Time
	mu    sync.Mutex // guards ops
	ops   []porcupine.Operation
}

func (h *history) now() int64 { return time.Since(h.start).Nanoseconds() }

func (h *history) add(op porcupine.Operation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, op)
}

// notSent reports whether err means the request never reached the agent.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// kvClient runs random operations on keys through ss in turn until stop is
// closed, recording them in h. After a write with an unknown outcome it
// goes on as a new client (that write stays open to the end of history).
func kvClient(h *history, ss []*server, id *int, keys []string, stop <-chan struct{}, rnd *rand.Rand) {
	client := *id
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		s := ss[n%len(ss)]
		in := kvInput{key: keys[rnd.IntN(len(keys))], value: fmt.Sprintf("c%d-%d", client, n)}
		method, url := "PUT", s.url()+"/v1/kv/"+in.key
		switch r := rnd.IntN(20); {
		case r < 8:
			in.op, in.value, method, url = "get", "", "GET", url+"?consistent&raw"
		case r < 14:
			in.op = "put"
		case r < 17:
			in.op, url = "create", url+"?cas=0"
		default:
			in.op, in.value, method = "delete", "", "DELETE"
		}
		call := h.now()
		code, _, body, err := do(method, url, in.value)
		ret := h.now()
		var out kvOutput
		switch {
		case err != nil && notSent(err):
			continue // never reached an agent: no effect
		case in.op == "get" && err == nil && code == 200:
			out = kvOutput{found: true, value: body}
		case in.op == "get" && err == nil && code == 404:
			out = kvOutput{}
		case in.op == "get":
			continue // a failed read has no effect
		case err == nil && code == 200:
			out.ok = strings.TrimSpace(body) == "true"
		default:
			out.unknown, ret = true, math.MaxInt64
		}
		h.add(porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		if out.unknown {
			*id++
			client = *id
		}
	}
}

// A history of concurrent gets (?consistent), puts, creates and deletes
// from several clients through all three servers, across a kill -9 of the
// store's leader, is linearizable.
func TestLinearizableAcrossLeaderKill(t *testing.T) {
	ss := newServers(t, 3)
	startAll(t, 3, ss...)
	leader := storeLeader(t, ss)

	h := &history{start: time.Now()}
	keys := []string{"lin/a", "lin/b", "lin/c"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const clients = 4
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := c * 1000 // each goroutine's client ids; a new one after an unknown outcome
			kvClient(h, ss, &id, keys, stop, rand.New(rand.NewPCG(uint64(c), 7)))
		}()
	}
	count := func() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.ops) }
	orbittest.Eventually(t, 20*time.Second, "operations before the kill", func() bool { return count() >= 100 })
	leader.kill(t)
	before := count()
	orbittest.Eventually(t, 30*time.Second, "operations after the kill", func() bool { return count() >= before+150 })
	close(stop)
	wg.Wait()

	unknown := 0
	for _, op := range h.ops {
		if op.Output.(kvOutput).unknown {
			unknown++
		}
	}
	res, info := porcupine.CheckOperationsVerbose(kvModel, h.ops, 30*time.Second)
	t.Logf("%d operations (%d with unknown outcome) across kill -9 of %s: %s", len(h.ops), unknown, leader.name, res)
	switch res {
	case porcupine.Illegal:
		file := t.TempDir() + "/history.html"
		if err := porcupine.VisualizePath(kvModel, info, file); err == nil {
			t.Logf("visualization: %s", file)
		}
		t.Fatal("the history is not linearizable")
	case porcupine.Unknown:
		t.Log("the checker timed out: no violation found within 30s")
	}
}

// The checker refuses a history with a stale read: a get that returns a
// value overwritten before the get was called.
func TestKVModelCatchesStaleRead(t *testing.T) {
	in := func(op, v string) kvInput { return kvInput{op: op, key: "k", value: v} }
	ops := []porcupine.Operation{
		{ClientId: 0, Input: in("put", "1"), Call: 0, Output: kvOutput{ok: true}, Return: 10},
		{ClientId: 0, Input: in("put", "2"), Call: 20, Output: kvOutput{ok: true}, Return: 30},
		{ClientId: 1, Input: in("get", ""), Call: 40, Output: kvOutput{found: true, value: "1"}, Return: 50},
	}
	if porcupine.CheckOperations(kvModel, ops) {
		t.Fatal("a stale read passed as linearizable")
	}
	ops[2].Call = 5 // concurrent with the first put's end: reading 1 is fine
	if !porcupine.CheckOperations(kvModel, ops) {
		t.Fatal("a read concurrent with the writes was refused")
	}
}
