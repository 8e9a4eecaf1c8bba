package health

import (
	"container/heap"
	"time"
)

// kind is what a scheduled item does when it falls due.
type kind uint8

const (
	// kindRun runs the check (for a TTL check: tests for expiry).
	kindRun kind = iota
	// kindReap deregisters the check's service if it is still critical.
	kindReap
)

// item is one entry of the schedule. Each runner owns one item of each
// kind, reused for its whole life.
type item struct {
	at    time.Time
	r     *runner
	kind  kind
	index int // position in the heap, -1 when not scheduled
}

// schedule is a min-heap of items by due time. Manager.mu guards it.
type schedule []*item

func (s schedule) Len() int           { return len(s) }
func (s schedule) Less(i, j int) bool { return s[i].at.Before(s[j].at) }
func (s schedule) Swap(i, j int) {
	s[i], s[j] = s[j], s[i]
	s[i].index, s[j].index = i, j
}

func (s *schedule) Push(x any) {
	it := x.(*item)
	it.index = len(*s)
	*s = append(*s, it)
}

func (s *schedule) Pop() any {
	old := *s
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*s = old[:len(old)-1]
	it.index = -1
	return it
}

// set schedules it at at, moving it if already scheduled. It reports
// whether it became the earliest item.
func (s *schedule) set(it *item, at time.Time) bool {
	it.at = at
	if it.index >= 0 {
		heap.Fix(s, it.index)
	} else {
		heap.Push(s, it)
	}
	return it.index == 0
}

// remove unschedules it if it is scheduled.
func (s *schedule) remove(it *item) {
	if it.index >= 0 {
		heap.Remove(s, it.index)
		it.index = -1
	}
}

// popDue removes and returns up to max items due at now.
func (s *schedule) popDue(now time.Time, max int, out []*item) []*item {
	for len(*s) > 0 && len(out) < max && !(*s)[0].at.After(now) {
		out = append(out, heap.Pop(s).(*item))
	}
	return out
}

// next is the due time of the earliest item.
func (s schedule) next() (time.Time, bool) {
	if len(s) == 0 {
		return time.Time{}, false
	}
	return s[0].at, true
}
