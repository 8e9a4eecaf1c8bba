package acme

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/orbittest"
)

func TestChildren(t *testing.T) {
	paths := []string{"certs/ca/a/a.crt", "certs/ca/a/a.key", "certs/ca/b/b.crt", "certs/x"}
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"certs", []string{"certs/ca", "certs/x"}},
		{"certs/ca", []string{"certs/ca/a", "certs/ca/b"}},
		{"", []string{"certs"}},
	} {
		var in []string
		for _, p := range paths {
			if tc.dir == "" || len(p) > len(tc.dir) && p[:len(tc.dir)+1] == tc.dir+"/" {
				in = append(in, p)
			}
		}
		if got := children(tc.dir, in); !slices.Equal(got, tc.want) {
			t.Errorf("children(%q) = %v, want %v", tc.dir, got, tc.want)
		}
	}
}

func TestStorageOnStore(t *testing.T) {
	ctx := context.Background()
	clock := clockwork.NewFakeClockAt(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	s := storage{files: orbittest.NewStore(t).CertFiles(time.Second), clock: clock}
	if _, err := s.Load(ctx, "certs/a/a.crt"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing key: %v, want fs.ErrNotExist", err)
	}
	for _, k := range []string{"certs/a/a.crt", "certs/a/a.key", "certs/ab"} {
		if err := s.Store(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Load(ctx, "certs/a/a.crt"); err != nil || string(v) != "certs/a/a.crt" {
		t.Fatalf("Load = %q, %v", v, err)
	}
	if ki, err := s.Stat(ctx, "certs/a/a.key"); err != nil || !ki.IsTerminal || ki.Size != 13 || !ki.Modified.Equal(clock.Now()) {
		t.Errorf("Stat(file) = %+v, %v", ki, err)
	}
	if ki, err := s.Stat(ctx, "certs/a"); err != nil || ki.IsTerminal {
		t.Errorf("Stat(dir) = %+v, %v", ki, err)
	}
	if !s.Exists(ctx, "certs/a") || !s.Exists(ctx, "certs/ab") || s.Exists(ctx, "certs/b") {
		t.Error("Exists wrong")
	}
	if got, err := s.List(ctx, "certs", false); err != nil || !slices.Equal(got, []string{"certs/a", "certs/ab"}) {
		t.Errorf("List = %v, %v", got, err)
	}
	if err := s.Delete(ctx, "certs/a"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.List(ctx, "certs", true); !slices.Equal(got, []string{"certs/ab"}) {
		t.Errorf("after deleting the directory: %v", got)
	}
	if err := s.Delete(ctx, "certs/none"); err != nil {
		t.Errorf("deleting nothing: %v", err)
	}
	// A lock is exclusive until unlocked.
	if err := s.Lock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := s.Lock(short, "x"); err == nil {
		t.Fatal("took a held lock")
	}
	if err := s.Unlock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlock(ctx, "x"); err != nil {
		t.Fatal(err)
	}
}

// TestCertFilesWatch: the store's watch reports files written under its
// directory by any client, not deletions nor files elsewhere.
func TestCertFilesWatch(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st := orbittest.NewStore(t)
	files, other := st.CertFiles(time.Second), st.CertFiles(time.Second)
	written := files.Watch(ctx, "certificates")
	// The watch starts in the background: write until it reports.
	for i, started := 0, false; !started; i++ {
		if err := other.Put(ctx, fmt.Sprintf("certificates/start/%d", i), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		select {
		case <-written:
			started = true
		case <-time.After(100 * time.Millisecond):
		}
	}
	if err := other.Put(ctx, "certificates/a/a.json", []byte("{}"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, "acme/users/x.json", []byte("{}"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, "certificates/a"); err != nil {
		t.Fatal(err)
	}
	if err := other.Put(ctx, "certificates/b/b.crt", []byte("b"), time.Now()); err != nil {
		t.Fatal(err)
	}
	var got []string
	for p := ""; p != "certificates/b/b.crt"; {
		select {
		case p = <-written:
			if !strings.HasPrefix(p, "certificates/start/") {
				got = append(got, p)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("watch reported %q, then nothing for 10s", got)
		}
	}
	if want := []string{"certificates/a/a.json", "certificates/b/b.crt"}; !slices.Equal(got, want) {
		t.Errorf("watch reported %q, want %q", got, want)
	}
	cancel()
	for range written { // closed once ctx ends
	}
}
