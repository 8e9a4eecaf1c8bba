package health

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
)

func TestTTLExpiryAndUpdate(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "app", ServiceID: "app-1", Definition: catalog.CheckDefinition{TTL: 30 * time.Second}})
	h.src.put(catalog.Check{CheckID: "web", Definition: catalog.CheckDefinition{HTTP: "http://127.0.0.1:1", Interval: time.Hour}})
	h.start()
	h.waitScheduled(2)
	ctx := context.Background()

	// Never updated: the TTL runs out with Consul's output.
	h.tick(30*time.Second, 1)
	h.wantStatus("app", catalog.Critical, "TTL expired")

	if err := h.m.UpdateTTL(ctx, "app", catalog.Passing, "all good"); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	h.wantStatus("app", catalog.Passing, "all good")
	calls, _ := h.w.counts()

	// An update with the same status and output records the time and
	// writes nothing; it restarts the TTL.
	h.clock.Advance(20 * time.Second)
	if err := h.m.UpdateTTL(ctx, "app", catalog.Passing, "all good"); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	if c, _ := h.w.counts(); c != calls {
		t.Fatalf("unchanged update wrote (%d writes, had %d)", c, calls)
	}
	runs := h.m.runs.Load()
	h.clock.Advance(20 * time.Second) // 40s after the first update, 20s after the second
	time.Sleep(50 * time.Millisecond)
	if h.m.runs.Load() != runs {
		t.Fatal("TTL expired although it was renewed 20s ago")
	}
	h.wantStatus("app", catalog.Passing, "all good")

	h.tick(10*time.Second, 1)
	h.wantStatus("app", catalog.Critical, "TTL expired (last output before timeout follows): all good")

	if err := h.m.UpdateTTL(ctx, "app", catalog.Warning, strings.Repeat("x", 5000)); err != nil {
		t.Fatalf("UpdateTTL: %v", err)
	}
	h.wantStatus("app", catalog.Warning, " ... (captured 4096 of 5000 bytes)")
}

func TestUpdateTTLErrors(t *testing.T) {
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "web", Definition: catalog.CheckDefinition{HTTP: "http://127.0.0.1:1", Interval: time.Hour}})
	h.src.put(catalog.Check{CheckID: "manual"}) // no definition: status set through the catalog only
	h.start()
	h.waitScheduled(1)
	ctx := context.Background()
	for _, tt := range []struct {
		id     string
		status catalog.Status
		want   error
	}{
		{"nope", catalog.Passing, ErrUnknownCheck},
		{"web", catalog.Passing, ErrNotTTL},
		{"manual", catalog.Passing, ErrNotTTL},
		{"web", "fine", catalog.ErrInvalid},
	} {
		if err := h.m.UpdateTTL(ctx, tt.id, tt.status, ""); !errors.Is(err, tt.want) {
			t.Errorf("UpdateTTL(%q, %q) = %v, want %v", tt.id, tt.status, err, tt.want)
		}
	}
}

func TestUpdateTTLRightAfterRegistration(t *testing.T) {
	h := newHarness(t, Config{})
	h.start()
	// Registered and updated at once, before the manager heard of it.
	h.src.mu.Lock()
	h.src.subs = map[chan struct{}]struct{}{} // the change signal is late
	h.src.mu.Unlock()
	h.src.put(catalog.Check{CheckID: "app", Definition: catalog.CheckDefinition{TTL: time.Minute}})
	if err := h.m.UpdateTTL(context.Background(), "app", catalog.Passing, "up"); err != nil {
		t.Fatalf("UpdateTTL on a just-registered check: %v", err)
	}
	h.wantStatus("app", catalog.Passing, "up")
}
