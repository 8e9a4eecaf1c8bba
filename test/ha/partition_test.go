package ha_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// Three servers in their own network namespaces with the default ports;
// the store's leader is cut off from the other two. The majority elects a
// leader and takes writes, and one of them runs the leader-only loops; the
// cut-off server refuses writes and ?consistent reads with a 503 naming the
// lost quorum, marks its reads X-Consul-KnownLeader: false and gives up the
// loops. Healed, it catches up and takes writes again.
func TestPartitionedMinorityRefusesWrites(t *testing.T) {
	l := newLab(t, 3)
	var ss []*server
	for n := 1; n <= 3; n++ {
		ip := l.addr(n)
		s := &server{name: fmt.Sprintf("s%d", n), dir: t.TempDir(), http: ip + ":8500", peer: ip + ":8300",
			client: ip + ":8301", bin: l.bin(n)}
		if n > 1 {
			s.join = ss[0].http
		}
		ss = append(ss, s)
	}
	startAll(t, 3, ss[0])
	startAll(t, 3, ss[1], ss[2])
	awaitOneLeader(t, ss, 30*time.Second)
	cutN, cut := 0, storeLeader(t, ss)
	var majority []*server
	for i, s := range ss {
		if s == cut {
			cutN = i + 1
		} else {
			majority = append(majority, s)
		}
	}
	if code, body := call(t, "PUT", cut.url()+"/v1/kv/part/before", "1"); code != 200 {
		t.Fatalf("write before the partition: %d %s", code, body)
	}

	l.cut(cutN, true)
	cutAt := time.Now()
	orbittest.Eventually(t, 20*time.Second, "the majority takes writes", func() bool {
		code, _, body, err := do("PUT", majority[0].url()+"/v1/kv/part/during", "2")
		return err == nil && code == 200 && strings.TrimSpace(body) == "true"
	})
	t.Logf("the majority took writes %v after the partition", time.Since(cutAt).Round(10*time.Millisecond))
	orbittest.Eventually(t, 20*time.Second, "the cut-off server refuses writes naming the quorum", func() bool {
		code, _, body, err := do("PUT", cut.url()+"/v1/kv/part/minority", "x")
		return err == nil && code == 503 && strings.Contains(body, "quorum")
	})
	code, _, body, err := do("GET", cut.url()+"/v1/kv/part/before?consistent", "")
	if err != nil || code != 503 || !strings.Contains(body, "quorum") {
		t.Fatalf("consistent read on the cut-off server = %d %q %v, want 503 naming the quorum", code, body, err)
	}
	code, hdr, body, err := do("GET", cut.url()+"/v1/kv/part/before?raw", "")
	if err != nil || code != 200 || body != "1" || hdr.Get("X-Consul-KnownLeader") != "false" {
		t.Fatalf("stale read on the cut-off server = %d %q %v (KnownLeader %q), want the value marked without a leader",
			code, body, err, hdr.Get("X-Consul-KnownLeader"))
	}
	// The leader-only loops run on one server of the majority only.
	orbittest.Eventually(t, 20*time.Second, "one scheduler, in the majority", func() bool {
		ls := schedulerLeaders(ss)
		return len(ls) == 1 && ls[0] != cut
	})

	l.cut(cutN, false)
	orbittest.Eventually(t, 30*time.Second, "the healed server takes writes and reads the majority's", func() bool {
		code, _, body, err := do("PUT", cut.url()+"/v1/kv/part/after", "3")
		if err != nil || code != 200 || strings.TrimSpace(body) != "true" {
			return false
		}
		code, _, body, err = do("GET", cut.url()+"/v1/kv/part/during?consistent&raw", "")
		return err == nil && code == 200 && body == "2"
	})
	if code, _, body, err := do("GET", cut.url()+"/v1/kv/part/minority?consistent", ""); err != nil || code != 404 {
		t.Fatalf("the write refused during the partition = %d %q %v, want absent (404)", code, body, err)
	}
}
