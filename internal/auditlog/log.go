package auditlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/orbit/orbit/internal/httpkit"
)

// Log is an open audit log. Its methods may be called concurrently.
type Log struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex // guards f, size, failed and closed
	f      *os.File   // the current file; nil after a failed rotation
	size   int64      // bytes in f
	failed bool       // the last write failed (logged once until one succeeds)
	closed bool       // Close was called: records are dropped
}

var _ httpkit.Auditor = (*Log)(nil)

// Open opens (appending) or creates the log at cfg.Path, and its directory.
func Open(cfg Config, log *slog.Logger) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Log{cfg: cfg.withDefaults(), log: log}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("audit log directory: %w", err)
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

// open opens the current file for appending; l.mu held or l unshared.
func (l *Log) open() error {
	f, err := os.OpenFile(l.cfg.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat audit log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Audit writes rec as one JSON line, rotating first when the line would
// take the current file past its size. A failure is logged (once until a
// write succeeds again): a full disk must not fail the request it records.
func (l *Log) Audit(rec httpkit.AuditRecord) {
	line, err := json.Marshal(rec)
	if err != nil {
		l.log.Error("audit record not encodable", "err", err)
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	err = l.write(line)
	switch {
	case err != nil && !l.failed:
		l.failed = true
		l.log.Error("audit log write failed; records are lost until it succeeds", "path", l.cfg.Path, "err", err)
	case err == nil && l.failed:
		l.failed = false
		l.log.Info("audit log writes again", "path", l.cfg.Path)
	}
}

// write appends line, rotating when due; l.mu held.
func (l *Log) write(line []byte) error {
	if l.f != nil && full(l.size, int64(len(line)), l.cfg.MaxSize) {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(line)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// rotate closes the current file and runs the rotation; the next write
// opens a new one. l.mu held.
func (l *Log) rotate() error {
	err := l.f.Close()
	l.f, l.size = nil, 0
	if err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	for _, s := range rotation(l.cfg.Path, l.cfg.MaxFiles) {
		var err error
		if s.To == "" {
			err = os.Remove(s.From)
		} else {
			err = os.Rename(s.From, s.To)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate audit log: %w", err)
		}
	}
	return nil
}

// Close closes the current file; later records are dropped (the
// listeners have stopped before it).
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
