package snapshot

import (
	"context"
	"errors"
	"os"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func TestNextDue(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		names []string
		want  time.Time
	}{
		{"none: now", nil, now},
		{"other files only: now", []string{"notes.txt", "orbit-x.snap"}, now},
		{"interval after the newest", []string{fileName(now.Add(-5 * time.Hour)), fileName(now.Add(-20 * time.Hour))}, now.Add(7 * time.Hour)},
		{"overdue", []string{fileName(now.Add(-13 * time.Hour))}, now.Add(-time.Hour)},
		{"from the future: now", []string{fileName(now.Add(time.Hour))}, now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextDue(tt.names, 12*time.Hour, now); !got.Equal(tt.want) {
				t.Fatalf("nextDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var names []string
	for i := range 7 {
		names = append(names, fileName(base.Add(time.Duration(i)*time.Hour)))
	}
	names = append(names, "keep-me.txt", fileName(base)+".tmp")
	got := expired(names, 5)
	want := []string{fileName(base.Add(time.Hour)), fileName(base)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("expired = %v, want %v", got, want)
	}
	if got := expired(names[:3], 5); got != nil {
		t.Fatalf("expired with fewer than retain = %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		c  Config
		ok bool
	}{
		{Config{Dir: "/x"}, true},
		{Config{}, false},
		{Config{Dir: "/x", Interval: time.Second}, false},
		{Config{Dir: "/x", Interval: -time.Hour}, false},
		{Config{Dir: "/x", Retain: -1}, false},
		{Config{Dir: "/x", Interval: time.Hour, Retain: 2}, true},
	} {
		if err := tt.c.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.c, err, tt.ok)
		}
	}
}

// The schedule takes one snapshot at once on an empty directory, then one
// per interval, keeping the newest Retain, each readable.
func TestScheduleTakesAndRetains(t *testing.T) {
	st := orbittest.NewStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	if _, _, err := st.KVPut(ctx, "a", 0, []byte("1"), nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	s, err := NewSchedule(Config{Dir: dir, Interval: time.Hour, Retain: 2}, st, clock, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	snaps := func() []string {
		ents, _ := os.ReadDir(dir)
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		sort.Strings(out)
		return out
	}
	orbittest.Eventually(t, 10*time.Second, "the first snapshot", func() bool { return len(snaps()) == 1 })
	for i := 2; i <= 4; i++ {
		if err := clock.BlockUntilContext(ctx, 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		want := min(i, 2)
		orbittest.Eventually(t, 10*time.Second, "the next snapshot", func() bool {
			n := snaps()
			return len(n) == want && n[len(n)-1] == fileName(clock.Now())
		})
	}
	names := snaps()
	if names[0] != fileName(clock.Now().Add(-time.Hour)) {
		t.Fatalf("kept %v, want the newest two", names)
	}
	f, err := os.Open(dir + "/" + names[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, d, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.KVs) != 1 || d.KVs[0].Key != store.KVKey("a") {
		t.Fatalf("snapshot holds %+v", d.KVs)
	}
}

// failOnce fails its first dump.
type failOnce struct {
	State
	failed bool
}

func (f *failOnce) Dump(ctx context.Context) (store.Dump, error) {
	if !f.failed {
		f.failed = true
		return store.Dump{}, errors.New("no quorum")
	}
	return f.State.Dump(ctx)
}

// A failed snapshot is tried again a minute later, not an interval later.
func TestScheduleRetriesAFailure(t *testing.T) {
	dir := t.TempDir()
	clock := clockwork.NewFakeClock()
	s, err := NewSchedule(Config{Dir: dir, Interval: 12 * time.Hour}, &failOnce{State: orbittest.NewStore(t)}, clock, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	if err := clock.BlockUntilContext(ctx, 1); err != nil { // waiting to retry
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a failed snapshot left %d files", len(ents))
	}
	clock.Advance(retryAfter)
	orbittest.Eventually(t, 10*time.Second, "the retried snapshot", func() bool {
		ents, _ := os.ReadDir(dir)
		return len(ents) == 1
	})
}
