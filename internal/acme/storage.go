package acme

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/jonboulle/clockwork"
)

// Files is a cluster-wide file tree with locks; *store.CertFiles is the
// real one (files and locks in etcd).
type Files interface {
	// Put writes the file at path, stamped with now.
	Put(ctx context.Context, path string, value []byte, now time.Time) error
	// Get reads a file and when it was written; a missing file is an
	// error matching fs.ErrNotExist.
	Get(ctx context.Context, path string) ([]byte, time.Time, error)
	// Delete removes a file and everything under it as a directory.
	Delete(ctx context.Context, path string) error
	// List returns every file's path under dir, recursively.
	List(ctx context.Context, dir string) ([]string, error)
	// Lock blocks until this process holds lock name (or ctx ends); a
	// holder that dies loses it after a while. Unlock releases it.
	Lock(ctx context.Context, name string) error
	Unlock(ctx context.Context, name string) error
	// Watch sends the path of each file written under dir (by any
	// process) from now on until ctx ends, then closes the channel.
	Watch(ctx context.Context, dir string) <-chan string
}

// storage is certmagic's Storage over Files.
type storage struct {
	files Files
	clock clockwork.Clock
}

var _ certmagic.Storage = storage{}

func (s storage) Lock(ctx context.Context, name string) error   { return s.files.Lock(ctx, name) }
func (s storage) Unlock(ctx context.Context, name string) error { return s.files.Unlock(ctx, name) }

func (s storage) Store(ctx context.Context, key string, value []byte) error {
	return s.files.Put(ctx, key, value, s.clock.Now())
}

func (s storage) Load(ctx context.Context, key string) ([]byte, error) {
	v, _, err := s.files.Get(ctx, key)
	return v, err
}

func (s storage) Delete(ctx context.Context, key string) error { return s.files.Delete(ctx, key) }

func (s storage) Exists(ctx context.Context, key string) bool {
	if _, _, err := s.files.Get(ctx, key); err == nil {
		return true
	}
	under, err := s.files.List(ctx, key)
	return err == nil && len(under) > 0
}

// List returns the keys under dir: every file when recursive, else the
// files and directories directly under it.
func (s storage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	all, err := s.files.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, fs.ErrNotExist
	}
	if recursive {
		return all, nil
	}
	return children(dir, all), nil
}

// children reduces paths under dir to dir's direct children, once each.
func children(dir string, paths []string) []string {
	dir = strings.Trim(dir, "/")
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		rest := strings.TrimPrefix(p, dir+"/")
		if dir == "" {
			rest = p
		}
		first, _, _ := strings.Cut(rest, "/")
		child := path.Join(dir, first)
		if !seen[child] {
			seen[child] = true
			out = append(out, child)
		}
	}
	return out
}

func (s storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	v, mod, err := s.files.Get(ctx, key)
	if err == nil {
		return certmagic.KeyInfo{Key: key, Modified: mod, Size: int64(len(v)), IsTerminal: true}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return certmagic.KeyInfo{}, err
	}
	under, lerr := s.files.List(ctx, key)
	if lerr != nil {
		return certmagic.KeyInfo{}, lerr
	}
	if len(under) == 0 {
		return certmagic.KeyInfo{}, err
	}
	return certmagic.KeyInfo{Key: key, IsTerminal: false}, nil
}
