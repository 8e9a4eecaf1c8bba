package ha_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest"
)

// raftVoters are the voters (by node name) and learners in the raft
// configuration s reports, read through consul/api.
func raftVoters(t *testing.T, s *server) (voters, learners []string, err error) {
	t.Helper()
	cfg, err := consulClient(t, s.http).Operator().RaftGetConfiguration(nil)
	if err != nil {
		return nil, nil, err
	}
	for _, sv := range cfg.Servers {
		if sv.Voter {
			voters = append(voters, sv.Node)
		} else {
			learners = append(learners, sv.Node)
		}
	}
	return voters, learners, nil
}

// awaitVoters waits until s reports exactly the servers want as voters
// and no learner, and returns how long that took.
func awaitVoters(t *testing.T, s *server, want ...*server) time.Duration {
	t.Helper()
	start := time.Now()
	names := strings.Join(names(want), ",")
	var last string
	orbittest.Eventually(t, 90*time.Second, fmt.Sprintf("voters %s on %s", names, s.name), func() bool {
		voters, learners, err := raftVoters(t, s)
		last = fmt.Sprintf("voters %v learners %v err %v", voters, learners, err)
		if err != nil || len(learners) != 0 || len(voters) != len(want) {
			return false
		}
		for _, w := range want {
			if !strings.Contains(","+strings.Join(voters, ",")+",", ","+w.name+",") {
				return false
			}
		}
		return true
	})
	t.Logf("%s: %s after %v", s.name, last, time.Since(start).Round(10*time.Millisecond))
	return time.Since(start)
}

// ackedSince counts the acknowledged writes after from.
func ackedSince(acks []ack, from time.Time) int {
	n := 0
	for _, a := range acks {
		if a.at.After(from) {
			n++
		}
	}
	return n
}

// awaitWritesSince waits until n more writes are acknowledged after from.
func awaitWritesSince(t *testing.T, acked func() []ack, from time.Time, n int, what string) {
	t.Helper()
	orbittest.Eventually(t, 90*time.Second, fmt.Sprintf("%d writes %s", n, what), func() bool {
		return ackedSince(acked(), from) >= n
	})
}

// awaitExit waits for s's process to end by itself and forgets it.
func awaitExit(t *testing.T, s *server) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.proc.Cmd.Wait() }()
	select {
	case err := <-done:
		s.proc = nil
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("%s still runs 60s after it left:\n%s", s.name, s.proc.Log())
		return nil
	}
}

// One server grows to three and then five, each joining through the
// running ones as a learner and promoted, while writers put keys through
// the three servers that stay; every acknowledged write is read back
// through consul/api after each step. The cluster then shrinks back to
// three: one server leaves gracefully (`orbit leave`), one is removed by
// the operator (`orbit operator raft remove-peer`) and stopped. Three
// voters remain, tolerating one failure, and writes go on.
func TestGrowOneToFiveAndShrinkToThree(t *testing.T) {
	ss := newServers(t, 5)
	for i, s := range ss[1:] { // join through every running server
		var addrs []string
		for _, r := range ss[:i+1] {
			addrs = append(addrs, r.http)
		}
		s.join = strings.Join(addrs, ",")
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range ss {
				if s.proc != nil {
					t.Logf("%s log:\n%s", s.name, s.proc.Log())
				}
			}
		}
	})
	began := time.Now()
	startAll(t, 1, ss[0])
	awaitVoters(t, ss[0], ss[0])

	stop := make(chan struct{})
	acked, done := writeLoad(ss[:3], 3, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			done()
		}
	}()
	awaitWritesSince(t, acked, began, 30, "through one server")

	// Grow to three, then five, one server at a time.
	for i := 1; i < 5; i++ {
		step := time.Now()
		startAll(t, 1, ss[i])
		awaitVoters(t, ss[0], ss[:i+1]...)
		awaitWritesSince(t, acked, step, 20, fmt.Sprintf("while %s joined", ss[i].name))
		t.Logf("%s joined and voted %v after its start; %d writes acknowledged so far",
			ss[i].name, time.Since(step).Round(10*time.Millisecond), len(acked()))
		if i == 2 || i == 4 {
			checkNoAckLost(t, ss[i], acked())
		}
	}
	peers, err := consulClient(t, ss[2].http).Status().Peers()
	if err != nil || len(peers) != 5 {
		t.Fatalf("peers of five: %v %v", peers, err)
	}

	// Shrink: s5 leaves by itself, s4 is removed by the operator.
	step := time.Now()
	out := orbitCLI(t, ss[4].http, "leave")
	if !strings.Contains(out, "Graceful leave complete") {
		t.Fatalf("orbit leave printed %q", out)
	}
	if err := awaitExit(t, ss[4]); err != nil {
		t.Fatalf("%s exited with %v after leaving:\n%s", ss[4].name, err, ss[4].proc.Log())
	}
	awaitVoters(t, ss[0], ss[:4]...)
	awaitWritesSince(t, acked, step, 20, "after s5 left")
	t.Logf("s5 left and exited %v after `orbit leave`", time.Since(step).Round(10*time.Millisecond))

	step = time.Now()
	out = orbitCLI(t, ss[1].http, "operator", "raft", "remove-peer", "-id", ss[3].name)
	if !strings.Contains(out, "Removed peer") {
		t.Fatalf("orbit operator raft remove-peer printed %q", out)
	}
	awaitVoters(t, ss[0], ss[:3]...)
	ss[3].kill(t) // a removed member stops serving the store; its process goes
	awaitWritesSince(t, acked, step, 20, "after s4 was removed")
	t.Logf("s4 removed %v after remove-peer", time.Since(step).Round(10*time.Millisecond))

	// Three voters: a quorum of two, one failure tolerated.
	op := consulClient(t, ss[2].http).Operator()
	var health *capi.OperatorHealthReply
	orbittest.Eventually(t, 60*time.Second, "three healthy servers", func() bool {
		health, err = op.AutopilotServerHealth(nil)
		return err == nil && health.Healthy && len(health.Servers) == 3
	})
	if health.FailureTolerance != 1 {
		t.Fatalf("failure tolerance of three servers %d, want 1", health.FailureTolerance)
	}
	close(stop)
	done()
	acks := acked()
	t.Logf("%d writes acknowledged across 1 → 3 → 5 → 3 servers in %v", len(acks), time.Since(began).Round(time.Second))
	checkNoAckLost(t, ss[1], acks)

	// A left server's data directory is spent: started again, it says so
	// and exits rather than serving a cluster it is no longer part of.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	again := exec.CommandContext(ctx, orbitBin, "agent", "-server", "-node", ss[4].name, "-data-dir", ss[4].dir,
		"-bind", "127.0.0.1", "-http-addr", ss[4].http, "-store-peer-addr", ss[4].peer, "-store-client-addr", ss[4].client,
		"-dns-addr", "off", "-entrypoint", "web=127.0.0.1:0,websecure=127.0.0.1:0", "-config", orbittest.ACLConfigFile(t))
	b, err := again.CombinedOutput()
	if ctx.Err() != nil || err == nil || !strings.Contains(string(b), "left its store cluster") {
		t.Fatalf("a left server started again on its old data directory (err %v):\n%s", err, b)
	}
	t.Logf("restarted left server refuses: %s", lastLine(string(b)))
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
