package periodic

import (
	"time"

	"github.com/orbit/orbit/internal/job"
)

// maxCatchUp bounds the walk over launch times that fell due while no
// launcher ran: past it, the launch is made at the last time reached.
const maxCatchUp = 100000

// Parent is one periodic job as the launcher sees it.
type Parent struct {
	Namespace, ID string
	Periodic      *job.Periodic
	// Since is the time launches are counted from: the latest of the
	// version's submission, the last child's launch and the last launch
	// this launcher made or skipped.
	Since time.Time
	// Running reports whether a child of the job is not dead yet.
	Running bool
}

// Launch is a decision about one parent: launch a child at At, or, with
// Skip, pass over that launch time (prohibit_overlap with a child running).
type Launch struct {
	Namespace, ID string
	At            time.Time
	Skip          bool
	Err           error // the periodic block could not be evaluated
}

// Decide says which parents launch now and when the next launch after
// now is due (zero when none is). A parent whose periodic block is
// disabled launches nothing.
func Decide(now time.Time, parents []Parent) (out []Launch, wake time.Time) {
	for _, p := range parents {
		if p.Periodic == nil || !p.Periodic.Enabled {
			continue
		}
		next, ok, err := p.Periodic.Next(p.Since)
		if err != nil {
			out = append(out, Launch{Namespace: p.Namespace, ID: p.ID, Err: err})
			continue
		}
		if !ok {
			continue
		}
		if next.After(now) {
			wake = earliest(wake, next)
			continue
		}
		at := next
		for range maxCatchUp {
			n, ok, _ := p.Periodic.Next(at)
			if !ok || n.After(now) {
				if ok {
					wake = earliest(wake, n)
				}
				break
			}
			at = n
		}
		out = append(out, Launch{Namespace: p.Namespace, ID: p.ID, At: at, Skip: p.Periodic.ProhibitOverlap && p.Running})
	}
	return out, wake
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}
