package view

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/store"
)

// Source is the part of store the view reads: a listing and a watch.
type Source interface {
	List(ctx context.Context, prefix string) ([]store.KV, int64, error)
	Watch(ctx context.Context, prefix string, from int64) <-chan store.WatchBatch
}

var _ Source = (*store.Store)(nil)

type instRef struct{ node, id string }

// View is the watch-fed in-memory state. Create with New, start with Run.
type View struct {
	src Source
	log *slog.Logger

	ready     chan struct{}
	readyOnce sync.Once
	stats     counters

	// mu guards everything below.
	mu       sync.RWMutex
	rev      uint64
	nodes    map[string]*catalog.Node
	alive    map[string]uint64 // node → revision its liveness key was written
	aliveRev map[string]uint64 // node → revision of its last liveness change
	inst     map[string]map[string]*catalog.Instance
	byName   map[string]map[instRef]*catalog.Instance
	checks   map[string]map[string]*catalog.Check
	// bySvc indexes checks by node, then service id ("" for node checks),
	// then check id, so an instance's health never scans its node's checks.
	bySvc map[string]map[string]map[string]*catalog.Check
	kv    map[string]*catalog.KVEntry
	tomb  map[string]uint64              // KV key → revision of its deletion
	raw   map[string]map[string]store.KV // family → rest of key → value
	jobs  jobTables
	zones map[string]*zoneState // apex →
	acl   aclTables
	// dirtyZones are the zones changed in the batch being applied.
	dirtyZones map[string]bool
	journal    journal
	idx        map[Resource]uint64
	waiters    map[Resource]map[chan struct{}]struct{}
	revCh      chan struct{} // closed and replaced after every applied batch
	subs       map[chan struct{}]struct{}
}

// New returns a view over src; it holds nothing until Run has loaded.
func New(src Source, log *slog.Logger) *View {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &View{src: src, log: log, ready: make(chan struct{}), revCh: make(chan struct{}),
		waiters: map[Resource]map[chan struct{}]struct{}{}, subs: map[chan struct{}]struct{}{}}
	v.reset()
	return v
}

func (v *View) reset() {
	v.nodes = map[string]*catalog.Node{}
	v.alive = map[string]uint64{}
	v.aliveRev = map[string]uint64{}
	v.inst = map[string]map[string]*catalog.Instance{}
	v.byName = map[string]map[instRef]*catalog.Instance{}
	v.checks = map[string]map[string]*catalog.Check{}
	v.bySvc = map[string]map[string]map[string]*catalog.Check{}
	v.kv = map[string]*catalog.KVEntry{}
	v.tomb = map[string]uint64{}
	v.jobs = newJobTables()
	v.zones = map[string]*zoneState{}
	v.acl = newACLTables()
	v.dirtyZones = map[string]bool{}
	v.idx = map[Resource]uint64{}
}

// Ready is closed once the first snapshot is loaded.
func (v *View) Ready() <-chan struct{} { return v.ready }

// Run loads the state and follows the watch until ctx ends, reloading when
// the watch falls behind a compaction or fails.
func (v *View) Run(ctx context.Context) error {
	backoff := 100 * time.Millisecond
	for {
		rev, err := v.load(ctx)
		if err == nil {
			backoff = 100 * time.Millisecond
			err = v.follow(ctx, rev)
		}
		if ctx.Err() != nil {
			return nil
		}
		v.stats.resyncs.Add(1)
		v.log.Warn("view resynchronising", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (v *View) load(ctx context.Context) (int64, error) {
	kvs, rev, err := v.src.List(ctx, store.Prefix)
	if err != nil {
		return 0, err
	}
	v.mu.Lock()
	old := v.idx
	v.reset()
	for _, kv := range kvs {
		v.applyLocked(store.Event{KV: kv}, false)
	}
	v.finishZonesLocked()
	v.journal.reset(uint64(rev))
	// After a resync every resource may have changed: move all indexes
	// (including ones only waiters know) to the snapshot revision.
	r := uint64(rev)
	for res := range old {
		if v.idx[res] < r {
			v.idx[res] = r
		}
	}
	for res := range v.waiters {
		v.idx[res] = max(v.idx[res], r)
	}
	v.rev = max(v.rev, r)
	v.notifyAllLocked()
	v.mu.Unlock()
	v.readyOnce.Do(func() { close(v.ready) })
	v.log.Debug("view loaded", "keys", len(kvs), "revision", rev)
	return rev, nil
}

func (v *View) follow(ctx context.Context, rev int64) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for b := range v.src.Watch(wctx, store.Prefix, rev) {
		if b.Compacted {
			return errors.New("watch compacted")
		}
		if b.Err != nil {
			return b.Err
		}
		v.applyBatch(b)
	}
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("watch closed")
}

func (v *View) applyBatch(b store.WatchBatch) {
	v.stats.batches.Add(1)
	v.stats.events.Add(uint64(len(b.Events)))
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, ev := range b.Events {
		v.applyLocked(ev, true)
	}
	v.finishZonesLocked()
	if r := uint64(b.Revision); r > v.rev {
		v.rev = r
	}
	close(v.revCh)
	v.revCh = make(chan struct{})
	for ch := range v.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (v *View) notifyAllLocked() {
	for res, ws := range v.waiters {
		for ch := range ws {
			close(ch)
		}
		delete(v.waiters, res)
	}
	close(v.revCh)
	v.revCh = make(chan struct{})
	for ch := range v.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// bumpLocked records a change of res at rev and wakes its waiters.
func (v *View) bumpLocked(res Resource, rev uint64) {
	if v.idx[res] < rev {
		v.idx[res] = rev
	}
	if ws, ok := v.waiters[res]; ok {
		for ch := range ws {
			close(ch)
		}
		delete(v.waiters, res)
	}
}

// Revision is the store revision the view has applied.
func (v *View) Revision() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.rev
}

// WaitRevision returns once the view has applied rev (read-your-writes).
func (v *View) WaitRevision(ctx context.Context, rev int64) error {
	for {
		v.mu.RLock()
		cur, ch := v.rev, v.revCh
		v.mu.RUnlock()
		if cur >= uint64(rev) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Subscribe returns a channel that receives (coalesced) after every change,
// and a function that ends the subscription.
func (v *View) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	v.mu.Lock()
	v.subs[ch] = struct{}{}
	v.mu.Unlock()
	return ch, func() {
		v.mu.Lock()
		delete(v.subs, ch)
		v.mu.Unlock()
	}
}

// Index is the blocking-query index of res: the revision of its last change,
// never below 1.
func (v *View) Index(res Resource) uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.indexLocked(res)
}

func (v *View) indexLocked(res Resource) uint64 {
	i := v.idx[res]
	if key, prefix, ok := res.kv(); ok {
		i = max(i, v.kvIndexLocked(key, prefix))
	}
	return max(i, 1)
}

// Wait blocks until res's index passes index or ctx ends, and returns the
// index then. A zero index returns at once.
func (v *View) Wait(ctx context.Context, res Resource, index uint64) uint64 {
	for {
		v.mu.Lock()
		cur := v.indexLocked(res)
		if index == 0 || cur > index {
			v.mu.Unlock()
			return cur
		}
		ch := make(chan struct{})
		ws := v.waiters[res]
		if ws == nil {
			ws = map[chan struct{}]struct{}{}
			v.waiters[res] = ws
		}
		ws[ch] = struct{}{}
		v.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			v.mu.Lock()
			delete(v.waiters[res], ch)
			if len(v.waiters[res]) == 0 {
				delete(v.waiters, res)
			}
			cur = v.indexLocked(res)
			v.mu.Unlock()
			return cur
		}
	}
}
