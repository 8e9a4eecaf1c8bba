package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// logRotator writes a task stream into <base>.0, <base>.1, ... under dir,
// starting a new file when one reaches maxSize and keeping the newest
// maxFiles, as Nomad's logmon does.
type logRotator struct {
	dir, base string
	maxFiles  int
	maxSize   int64

	f    *os.File
	idx  int
	size int64
}

func newRotator(dir, base string, maxFiles int, maxSize int64) (*logRotator, error) {
	r := &logRotator{dir: dir, base: base, maxFiles: max(maxFiles, 1), maxSize: max(maxSize, 1)}
	if idx := logIndexes(dir, base); len(idx) > 0 {
		r.idx = idx[len(idx)-1] // continue the newest file after an agent restart
	}
	return r, r.open()
}

func (r *logRotator) open() error {
	f, err := os.OpenFile(r.path(r.idx), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, st.Size()
	return nil
}

func (r *logRotator) path(i int) string {
	return filepath.Join(r.dir, r.base+"."+strconv.Itoa(i))
}

func (r *logRotator) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if r.size >= r.maxSize {
			if err := r.rotate(); err != nil {
				return written, err
			}
		}
		n := int(min(int64(len(p)), r.maxSize-r.size))
		m, err := r.f.Write(p[:n])
		written += m
		r.size += int64(m)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (r *logRotator) rotate() error {
	r.f.Close()
	r.idx++
	for _, i := range logIndexes(r.dir, r.base) {
		if i <= r.idx-r.maxFiles {
			os.Remove(r.path(i))
		}
	}
	return r.open()
}

func (r *logRotator) Close() error { return r.f.Close() }

// logIndexes lists the indexes of base's files in dir, ascending.
func logIndexes(dir, base string) []int {
	ents, _ := os.ReadDir(dir)
	var out []int
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), base+".")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil {
			out = append(out, i)
		}
	}
	slices.Sort(out)
	return out
}

// logCollector copies a task stream's FIFO into a rotator.
type logCollector struct {
	fifo *os.File
	rot  *logRotator
	done chan struct{}
}

// startCollector makes the FIFO when missing and copies it into rot until
// stop. The FIFO is opened read-write, so the read end never sees EOF and
// the task never sees EPIPE while no collector runs.
func startCollector(fifoPath string, rot *logRotator) (*logCollector, error) {
	if err := syscall.Mkfifo(fifoPath, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("make log fifo %s: %w", fifoPath, err)
	}
	f, err := os.OpenFile(fifoPath, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open log fifo %s: %w", fifoPath, err)
	}
	c := &logCollector{fifo: f, rot: rot, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := f.Read(buf)
			if n > 0 {
				rot.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// stop copies what the FIFO still holds for up to drain, then closes.
func (c *logCollector) stop(drain time.Duration) {
	c.fifo.SetReadDeadline(time.Now().Add(drain))
	<-c.done
	c.fifo.Close()
	c.rot.Close()
}

// logReader reads a task stream across its rotated files, optionally
// following new output until ctx ends or dead reports the task is over.
type logReader struct {
	ctx    context.Context
	dir    string
	base   string
	follow bool
	dead   func() bool

	idx int // current file index
	f   *os.File
}

// openLogReader positions a reader at offset from the start, or offset
// bytes before the end with origin "end", of the stream's files.
func openLogReader(ctx context.Context, dir, base string, offset int64, origin string, follow bool, dead func() bool) (*logReader, error) {
	idx := logIndexes(dir, base)
	if len(idx) == 0 {
		return nil, fmt.Errorf("log %s: %w", base, fs.ErrNotExist)
	}
	sizes := make([]int64, len(idx))
	var total int64
	for i, n := range idx {
		if st, err := os.Stat(filepath.Join(dir, base+"."+strconv.Itoa(n))); err == nil {
			sizes[i] = st.Size()
		}
		total += sizes[i]
	}
	pos := offset
	if origin == "end" {
		pos = total - offset
	}
	pos = min(max(pos, 0), total)
	r := &logReader{ctx: ctx, dir: dir, base: base, follow: follow, dead: dead}
	for i, n := range idx {
		if pos <= sizes[i] || i == len(idx)-1 {
			r.idx = n
			if err := r.openAt(min(pos, sizes[i])); err != nil {
				return nil, err
			}
			return r, nil
		}
		pos -= sizes[i]
	}
	return r, nil
}

func (r *logReader) openAt(off int64) error {
	f, err := os.Open(filepath.Join(r.dir, r.base+"."+strconv.Itoa(r.idx)))
	if err != nil {
		return err
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		f.Close()
		return err
	}
	r.f = f
	return nil
}

func (r *logReader) Read(p []byte) (int, error) {
	for {
		// Ask whether the task is dead before reading, not after: output
		// written just before it died must be read before the end is told.
		dead := !r.follow || (r.dead != nil && r.dead())
		n, err := r.f.Read(p)
		if n > 0 || (err != nil && err != io.EOF) {
			return n, err
		}
		// At the end of the current file: move to a newer one if any.
		if next := r.nextIndex(); next >= 0 {
			r.f.Close()
			r.idx = next
			if err := r.openAt(0); err != nil {
				return 0, err
			}
			continue
		}
		if dead {
			return 0, io.EOF
		}
		select {
		case <-r.ctx.Done():
			return 0, io.EOF
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (r *logReader) nextIndex() int {
	for _, i := range logIndexes(r.dir, r.base) {
		if i > r.idx {
			return i
		}
	}
	return -1
}

func (r *logReader) Close() error { return r.f.Close() }
