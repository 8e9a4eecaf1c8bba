package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"
)

// FamilyCerts holds the ACME engine's files (account keys, certificates,
// their keys and metadata, challenge tokens), each under its storage path
// (FamilyKey(FamilyCerts, "files/"+path)), and its locks
// (FamilyKey(FamilyCerts, "locks/"+name)).
const FamilyCerts = "certs"

// DefaultCertLockTTL is how long a dead holder keeps an ACME lock.
const DefaultCertLockTTL = 30 * time.Second

func certFileKey(path string) string { return FamilyKey(FamilyCerts, "files/"+path) }

func certLockKey(name string) string { return FamilyKey(FamilyCerts, "locks/"+name) }

// certFile is a stored file: its bytes and when they were written (etcd
// keeps no time).
type certFile struct {
	Modified time.Time `json:"m"`
	Value    []byte    `json:"v"`
}

// CertFiles is a file tree in the store for the ACME engine, with locks
// that expire with their holder. Get it from Store.CertFiles.
type CertFiles struct {
	s   *Store
	ttl time.Duration
	mu  sync.Mutex // guards held
	// held are this process's locks by name, each on its own session.
	held map[string]*concurrency.Session
}

// CertFiles returns the ACME file tree. A lock taken through it lives on
// an etcd session lease of lockTTL (0 means DefaultCertLockTTL) kept alive
// by this process: a holder that dies loses it lockTTL later.
func (s *Store) CertFiles(lockTTL time.Duration) *CertFiles {
	if lockTTL <= 0 {
		lockTTL = DefaultCertLockTTL
	}
	return &CertFiles{s: s, ttl: lockTTL, held: map[string]*concurrency.Session{}}
}

// Put writes a file.
func (c *CertFiles) Put(ctx context.Context, path string, value []byte, now time.Time) error {
	b, err := json.Marshal(certFile{Modified: now.UTC(), Value: value})
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if _, _, err := c.s.Txn(ctx, nil, []Op{Put(certFileKey(path), b)}); err != nil {
		return fmt.Errorf("store %s: %w", path, err)
	}
	return nil
}

// Get reads a file; a missing one is an error matching both ErrNotFound
// and fs.ErrNotExist.
func (c *CertFiles) Get(ctx context.Context, path string) ([]byte, time.Time, error) {
	kv, err := c.s.Get(ctx, certFileKey(path))
	if errors.Is(err, ErrNotFound) {
		return nil, time.Time{}, fmt.Errorf("load %s: %w (%w)", path, ErrNotFound, fs.ErrNotExist)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("load %s: %w", path, err)
	}
	var f certFile
	if err := json.Unmarshal(kv.Value, &f); err != nil {
		return nil, time.Time{}, fmt.Errorf("decode %s: %w", path, err)
	}
	return f.Value, f.Modified, nil
}

// Delete removes a file and every file under it as a directory; removing
// nothing is no error.
func (c *CertFiles) Delete(ctx context.Context, path string) error {
	k := certFileKey(path)
	if _, _, err := c.s.Txn(ctx, nil, []Op{Del(k), DelPrefix(strings.TrimSuffix(k, "/") + "/")}); err != nil {
		return fmt.Errorf("delete %s: %w", path, err)
	}
	return nil
}

// List returns the paths of the files under dir (dir "" is the root).
func (c *CertFiles) List(ctx context.Context, dir string) ([]string, error) {
	prefix := certFileKey("")
	if dir = strings.Trim(dir, "/"); dir != "" {
		prefix = certFileKey(dir + "/")
	}
	kvs, _, err := c.s.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	out := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, strings.TrimPrefix(kv.Key, certFileKey("")))
	}
	return out, nil
}

// Lock blocks until this process holds lock name or ctx ends. The lock is
// an etcd mutex on a session of its own, so it is released by Unlock, or
// by the session's lease expiring lockTTL after this process stops
// renewing it (it died, or lost the store).
func (c *CertFiles) Lock(ctx context.Context, name string) error {
	secs := max(int(c.ttl/time.Second), 1)
	// The session outlives ctx: it must be kept alive until Unlock.
	sess, err := concurrency.NewSession(c.s.client, concurrency.WithTTL(secs), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return fmt.Errorf("lock %s: new session: %w", name, err)
	}
	if err := concurrency.NewMutex(sess, certLockKey(name)).Lock(ctx); err != nil {
		sess.Close()
		return fmt.Errorf("lock %s: %w", name, err)
	}
	c.mu.Lock()
	old := c.held[name]
	c.held[name] = sess
	c.mu.Unlock()
	if old != nil { // an earlier holder in this process that never unlocked
		old.Close()
	}
	return nil
}

// Unlock releases lock name held by this process (revoking its session,
// so a waiter proceeds at once).
func (c *CertFiles) Unlock(ctx context.Context, name string) error {
	c.mu.Lock()
	sess := c.held[name]
	delete(c.held, name)
	c.mu.Unlock()
	if sess == nil {
		return fmt.Errorf("unlock %s: not held", name)
	}
	if err := sess.Close(); err != nil {
		return fmt.Errorf("unlock %s: %w", name, err)
	}
	return nil
}

// Watch sends the path of every file written under dir (dir "" is the
// root) from the time it starts until ctx ends, then closes the channel.
// A broken watch resumes where it stopped; one that fell behind the
// store's compaction resumes at the current revision, skipping the writes
// in between (the reader's periodic check is the backstop).
func (c *CertFiles) Watch(ctx context.Context, dir string) <-chan string {
	prefix := certFileKey("")
	if dir = strings.Trim(dir, "/"); dir != "" {
		prefix = certFileKey(dir + "/")
	}
	out := make(chan string, 16)
	go func() {
		defer close(out)
		var rev int64 // 0: start at the current revision
		for ctx.Err() == nil {
			if rev == 0 {
				r, err := c.s.Revision(ctx)
				if err != nil {
					sleepCtx(ctx, time.Second)
					continue
				}
				rev = r
			}
			for b := range c.s.Watch(ctx, prefix, rev) {
				if b.Compacted {
					rev = 0
					break
				}
				if b.Err != nil {
					break
				}
				for _, ev := range b.Events {
					if ev.Delete {
						continue
					}
					select {
					case out <- strings.TrimPrefix(ev.KV.Key, certFileKey("")):
					case <-ctx.Done():
						return
					}
				}
				rev = b.Revision
			}
			sleepCtx(ctx, time.Second)
		}
	}()
	return out
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
