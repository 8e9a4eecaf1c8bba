package view

import "sort"

// Change is one applied put or delete of an orchestrator key, as the
// journal records it for readers that keep state of their own (the
// scheduler's per-node usage) and must learn what changed without
// scanning every allocation.
type Change struct {
	Rev    uint64
	Family string // store.FamilyAllocs, store.FamilyAllocStatus, ...
	// ID is the key after the family: an allocation, evaluation or
	// deployment id, a node name, "ns/id" of a head, "ns/id/version".
	ID string
	// Job is the "ns/id" the key belongs to after the change and OldJob
	// before it ("" when none or unknown); Node and OldNode likewise for
	// the node an allocation is placed on (node infos and sequence keys
	// name their node in Node).
	Job, OldJob   string
	Node, OldNode string
}

// journalMax bounds the journal; a reader further behind than this many
// changes gets ok=false from Changes and reads everything again.
const journalMax = 1 << 16

// journal is the recent changes in revision order. The View's mu guards it.
type journal struct {
	floor   uint64 // every change after floor is in entries
	entries []Change
}

func (j *journal) reset(floor uint64) { j.floor, j.entries = floor, nil }

func (j *journal) add(c Change) {
	j.entries = append(j.entries, c)
	if len(j.entries) > journalMax {
		half := len(j.entries) / 2
		j.floor = j.entries[half-1].Rev
		j.entries = append([]Change(nil), j.entries[half:]...)
	}
}

// since returns the changes after rev; ok is false when the journal does
// not reach back to rev.
func (j *journal) since(rev uint64) ([]Change, bool) {
	if rev < j.floor {
		return nil, false
	}
	i := sort.Search(len(j.entries), func(i int) bool { return j.entries[i].Rev > rev })
	return append([]Change(nil), j.entries[i:]...), true
}

// Changes returns the orchestrator changes applied after revision since,
// oldest first, and the revision they reach (pass it as since next time).
// ok is false when the view cannot say (it reloaded after since, or the
// reader fell too far behind): the reader must then read everything again.
func (v *View) Changes(since uint64) (chs []Change, upto uint64, ok bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	chs, ok = v.journal.since(since)
	return chs, v.rev, ok
}
