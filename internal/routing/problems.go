package routing

import (
	"fmt"
	"slices"
)

// problems collects what went wrong while building: per element (shown on
// the element) and for the whole table (Table.Errors).
type problems struct {
	errs  map[elemKey][]string // disable the element
	warns map[elemKey][]string // keep the element, status warning
	table []error
}

func newProblems() *problems {
	return &problems{errs: map[elemKey][]string{}, warns: map[elemKey][]string{}}
}

// fail disables element k with a message; duplicates are dropped.
func (p *problems) fail(k elemKey, sentinel error, msg string) {
	if slices.Contains(p.errs[k], msg) {
		return
	}
	p.errs[k] = append(p.errs[k], msg)
	p.table = append(p.table, fmt.Errorf("%s: %w: %s", k, sentinel, msg))
}

// warn records a message on element k without disabling it.
func (p *problems) warn(k elemKey, sentinel error, msg string) {
	if slices.Contains(p.warns[k], msg) {
		return
	}
	p.warns[k] = append(p.warns[k], msg)
	p.table = append(p.table, fmt.Errorf("%s: %w: %s", k, sentinel, msg))
}

// loose records a problem that concerns no element.
func (p *problems) loose(sentinel error, format string, args ...any) {
	p.table = append(p.table, fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...)))
}

func (p *problems) failed(k elemKey) bool { return len(p.errs[k]) > 0 }

// status returns an element's status and its messages, errors first.
func (p *problems) status(k elemKey) (ElementStatus, []string) {
	msgs := append(slices.Clone(p.errs[k]), p.warns[k]...)
	switch {
	case len(p.errs[k]) > 0:
		return ElementDisabled, msgs
	case len(msgs) > 0:
		return ElementWarning, msgs
	}
	return ElementEnabled, nil
}
