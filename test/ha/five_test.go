package ha_test

import (
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// Five servers: the store's leader and a follower are killed with SIGKILL
// under write load; the three survivors are a quorum, writes resume and
// every acknowledged write is there. A third kill leaves two of five: the
// survivors refuse writes with a 503 naming the lost quorum.
func TestFiveServersSurviveTwoKills(t *testing.T) {
	ss := newServers(t, 5)
	for i, s := range ss { // join through any earlier server, not only the first
		if i > 1 {
			s.join = ss[i-1].http + "," + ss[0].http
		}
	}
	startAll(t, 5, ss[0])
	for _, s := range ss[1:] {
		startAll(t, 5, s)
	}
	awaitOneLeader(t, ss, 90*time.Second)
	orbittest.Eventually(t, 90*time.Second, "five voting servers", func() bool {
		peers, err := consulClient(t, ss[0].http).Status().Peers()
		return err == nil && len(peers) == 5
	})

	leader := storeLeader(t, ss)
	var other *server
	var survivors []*server
	for _, s := range ss {
		switch {
		case s == leader:
		case other == nil:
			other = s
		default:
			survivors = append(survivors, s)
		}
	}
	stop := make(chan struct{})
	acked, done := writeLoad(survivors, 4, stop)
	orbittest.Eventually(t, 60*time.Second, "writes before the kills", func() bool { return len(acked()) >= 50 })
	killed := time.Now()
	leader.kill(t)
	other.kill(t)
	orbittest.Eventually(t, 90*time.Second, "writes after two kills", func() bool {
		n := 0
		for _, a := range acked() {
			if a.at.After(killed) {
				n++
			}
		}
		return n >= 50
	})
	close(stop)
	done()
	acks := acked()
	t.Logf("%d writes acknowledged across the kill of %s (store leader) and %s", len(acks), leader.name, other.name)

	checkNoAckLost(t, survivors[0], acks)
	// The leader-only loops still run on exactly one survivor.
	awaitOneLeader(t, ss, 60*time.Second)

	// Two of five left: no quorum.
	survivors[2].kill(t)
	orbittest.Eventually(t, 60*time.Second, "a write refused for the lost quorum", func() bool {
		code, _, body, err := do("PUT", survivors[0].url()+"/v1/kv/ha/two-of-five", "x")
		return err == nil && code == 503 && strings.Contains(body, "quorum")
	})
}
