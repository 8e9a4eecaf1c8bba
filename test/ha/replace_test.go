package ha_test

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// stop ends s with SIGTERM and waits for it to exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop %s: %v", s.name, err)
	}
	if err := awaitExit(t, s); err != nil {
		t.Logf("%s exited: %v", s.name, err)
	}
}

// awaitHealthyThree waits until autopilot on s reports three healthy
// voters tolerating one failure.
func awaitHealthyThree(t *testing.T, s *server) {
	t.Helper()
	op := consulClient(t, s.http).Operator()
	orbittest.Eventually(t, 90*time.Second, "three healthy voters tolerating one failure", func() bool {
		h, err := op.AutopilotServerHealth(nil)
		if err != nil || !h.Healthy || len(h.Servers) != 3 || h.FailureTolerance != 1 {
			return false
		}
		for _, sv := range h.Servers {
			if !sv.Voter || !sv.Healthy {
				return false
			}
		}
		return true
	})
}

// A server of three dies for good (kill -9). `orbit force-leave` removes
// it from the store cluster and the catalog; a fresh server (new data
// directory, new node name) joins the survivors, leaving three healthy
// voters. Writes go on
// throughout and none acknowledged is lost. Then every server stops and
// they start again in reverse order, one at a time: the cluster comes back
// with its data and takes writes.
func TestReplaceDeadServerThenRestartInReverse(t *testing.T) {
	ss := newServers(t, 4) // s4 is the replacement
	ss[2].join = ss[1].http + "," + ss[0].http
	ss[3].join = ss[0].http + "," + ss[1].http
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range ss {
				if s.proc != nil {
					t.Logf("%s log:\n%s", s.name, s.proc.Log())
				}
			}
		}
	})
	startAll(t, 3, ss[0])
	startAll(t, 3, ss[1])
	startAll(t, 3, ss[2])
	awaitVoters(t, ss[0], ss[:3]...)

	stop := make(chan struct{})
	acked, done := writeLoad(ss[:2], 3, stop)
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
			done()
		}
	}()
	awaitWritesSince(t, acked, time.Time{}, 30, "before the kill")

	dead := ss[2]
	dead.kill(t)
	killed := time.Now()
	// force-leave leaves a node alone while its lease lives; retry until
	// the dead server's lapsed and it is removed. (etcd adds no member,
	// not even a learner, while a voter is down: the dead one goes first.)
	orbittest.Eventually(t, 60*time.Second, "s3 removed by force-leave", func() bool {
		orbitCLI(t, ss[1].http, "force-leave", dead.name)
		voters, _, err := raftVoters(t, ss[0])
		return err == nil && len(voters) == 2
	})
	awaitVoters(t, ss[1], ss[0], ss[1])
	t.Logf("s3 removed %v after its kill", time.Since(killed).Round(10*time.Millisecond))
	startAll(t, 3, ss[3])
	awaitVoters(t, ss[0], ss[0], ss[1], ss[3])
	t.Logf("replacement s4 voted %v after s3's kill", time.Since(killed).Round(10*time.Millisecond))
	awaitHealthyThree(t, ss[3])
	if code, body := call(t, "GET", ss[3].url()+"/v1/catalog/nodes", ""); code != 200 || containsNode(body, dead.name) {
		t.Fatalf("catalog nodes after force-leave: %d %s", code, body)
	}
	awaitWritesSince(t, acked, time.Now(), 20, "after the replacement")
	close(stop)
	done()
	acks := acked()
	t.Logf("%d writes acknowledged across the kill and replacement in %v", len(acks), time.Since(killed).Round(time.Second))
	checkNoAckLost(t, ss[3], acks)

	// Stop all three, start them again in reverse order, one at a time.
	live := []*server{ss[0], ss[1], ss[3]}
	for _, s := range live {
		s.stop(t)
	}
	var waits []func()
	restarted := time.Now()
	for i := len(live) - 1; i >= 0; i-- {
		waits = append(waits, live[i].start(t, 3))
		time.Sleep(2 * time.Second) // one at a time: the first waits alone for a quorum
	}
	for _, w := range waits {
		w()
	}
	t.Logf("all three back %v after the first restart", time.Since(restarted).Round(10*time.Millisecond))
	awaitOneLeader(t, live, 60*time.Second)
	awaitVoters(t, ss[3], live...)
	checkNoAckLost(t, ss[0], acks)
	if code, body := call(t, "PUT", ss[1].url()+"/v1/kv/ha/after-reverse-restart", "yes"); code != 200 {
		t.Fatalf("write after the reverse restart: %d %s", code, body)
	}
}

// containsNode reports whether a /v1/catalog/nodes body names node.
func containsNode(body, node string) bool {
	return strings.Contains(body, `"Node":"`+node+`"`)
}
