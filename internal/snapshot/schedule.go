package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"
)

// Defaults of the scheduled snapshots.
const (
	DefaultInterval = 12 * time.Hour
	DefaultRetain   = 5
)

// Config of the scheduled snapshots. The zero value takes a snapshot every
// 12 hours and keeps the newest 5.
type Config struct {
	// Dir holds the snapshot files (required).
	Dir string
	// Interval between snapshots; 0 means DefaultInterval.
	Interval time.Duration
	// Retain is how many snapshot files to keep; 0 means DefaultRetain.
	Retain int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("snapshot: a directory is required")
	case c.Interval < 0:
		return fmt.Errorf("snapshot interval %v: must not be negative", c.Interval)
	case c.Interval > 0 && c.Interval < time.Minute:
		return fmt.Errorf("snapshot interval %v: at least 1m", c.Interval)
	case c.Retain < 0:
		return fmt.Errorf("snapshot retain %d: must not be negative", c.Retain)
	}
	return nil
}

// Schedule takes snapshots into Dir every Interval and removes all but
// the newest Retain.
type Schedule struct {
	cfg   Config
	state State
	clock clockwork.Clock
	log   *slog.Logger
}

// NewSchedule validates cfg; clock nil is the wall clock.
func NewSchedule(cfg Config, state State, clock clockwork.Clock, log *slog.Logger) (*Schedule, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Retain == 0 {
		cfg.Retain = DefaultRetain
	}
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Schedule{cfg: cfg, state: state, clock: clock, log: log}, nil
}

// fileSuffix ends every scheduled snapshot's name.
const fileSuffix = ".snap"

// fileName names a snapshot taken at t: names sort by time.
func fileName(t time.Time) string {
	return "orbit-" + t.UTC().Format("20060102T150405Z") + fileSuffix
}

// takenAt parses a name made by fileName.
func takenAt(name string) (time.Time, bool) {
	s, ok := strings.CutPrefix(name, "orbit-")
	if !ok {
		return time.Time{}, false
	}
	s, ok = strings.CutSuffix(s, fileSuffix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405Z", s)
	return t, err == nil
}

// nextDue is when the next snapshot is due: Interval after the newest of
// names, or now when there is none (or the newest is from the future).
func nextDue(names []string, interval time.Duration, now time.Time) time.Time {
	var newest time.Time
	for _, n := range names {
		if t, ok := takenAt(n); ok && t.After(newest) {
			newest = t
		}
	}
	if newest.IsZero() || newest.After(now) {
		return now
	}
	return newest.Add(interval)
}

// expired lists the snapshot files among names beyond the newest retain.
func expired(names []string, retain int) []string {
	var snaps []string
	for _, n := range names {
		if _, ok := takenAt(n); ok {
			snaps = append(snaps, n)
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(snaps)))
	if len(snaps) <= retain {
		return nil
	}
	return snaps[retain:]
}

// retryAfter is how soon a failed snapshot is tried again (at most the
// interval): a store without a quorum for a moment should not cost a
// whole interval's snapshot.
const retryAfter = time.Minute

// Run takes snapshots until ctx ends. A failed snapshot is logged and
// tried again after retryAfter.
func (s *Schedule) Run(ctx context.Context) error {
	if err := os.MkdirAll(s.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("snapshot dir: %w", err)
	}
	for {
		names, err := s.list()
		if err != nil {
			return err
		}
		wait := nextDue(names, s.cfg.Interval, s.clock.Now()).Sub(s.clock.Now())
		if wait < 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(wait):
		}
		if _, err := s.Take(ctx); err != nil && ctx.Err() == nil {
			wait := min(retryAfter, s.cfg.Interval)
			s.log.Error("scheduled snapshot failed; trying again", "in", wait, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-s.clock.After(wait):
			}
		}
	}
}

// Take writes one snapshot file now and removes the expired ones. It
// returns the file's path.
func (s *Schedule) Take(ctx context.Context) (string, error) {
	d, err := s.state.Dump(ctx)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	var buf bytes.Buffer
	if err := Write(&buf, d, now); err != nil {
		return "", err
	}
	path := filepath.Join(s.cfg.Dir, fileName(now))
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return "", fmt.Errorf("write snapshot: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write snapshot: %w", err)
	}
	s.log.Info("snapshot taken", "file", path, "keys", len(d.KVs), "index", d.Revision)
	names, err := s.list()
	if err != nil {
		return path, err
	}
	for _, n := range expired(names, s.cfg.Retain) {
		if err := os.Remove(filepath.Join(s.cfg.Dir, n)); err != nil {
			s.log.Warn("remove expired snapshot", "file", n, "err", err)
		}
	}
	return path, nil
}

func (s *Schedule) list() ([]string, error) {
	ents, err := os.ReadDir(s.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
