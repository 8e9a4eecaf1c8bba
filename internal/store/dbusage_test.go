package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

// An embedded member reports its database size, which grows with what is
// written, and the default 512 MiB quota.
func TestDBUsage(t *testing.T) {
	s := orbittest.NewStore(t)
	size, quota, ok := s.DBUsage()
	if !ok || size <= 0 || quota != 512<<20 {
		t.Fatalf("DBUsage = %d, %d, %v; want a size, 512 MiB, true", size, quota, ok)
	}
	big := strings.Repeat("x", 1<<20)
	for i := range 4 {
		if _, _, err := s.Txn(context.Background(), nil, []store.Op{store.Put(store.FamilyKey(store.FamilyKV, "big"+string(rune('a'+i))), []byte(big))}); err != nil {
			t.Fatal(err)
		}
	}
	// bbolt commits in batches (every 100 ms by default): wait for one.
	orbittest.Eventually(t, 10*time.Second, "the database size to grow by the 4 MiB written", func() bool {
		after, _, _ := s.DBUsage()
		return after > size+1<<20
	})
}
