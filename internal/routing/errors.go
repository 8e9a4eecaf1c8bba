package routing

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidRule is wrapped by every error from ParseRule.
var ErrInvalidRule = errors.New("invalid rule")

// ErrInvalidTag is wrapped by every error from CheckTag and by the tag
// errors recorded on a Table.
var ErrInvalidTag = errors.New("invalid tag")

// ParseError is a rule that does not parse or does not compile. Column is
// the 1-based position, counted in characters, of the problem.
type ParseError struct {
	Rule   string
	Column int
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("rule %q: column %d: %s", e.Rule, e.Column, e.Msg)
}

// Unwrap lets errors.Is(err, ErrInvalidRule) hold.
func (e *ParseError) Unwrap() error { return ErrInvalidRule }

// errorAt builds a ParseError for the byte offset off of rule.
func errorAt(rule string, off int, format string, args ...any) *ParseError {
	if off > len(rule) {
		off = len(rule)
	}
	return &ParseError{
		Rule:   rule,
		Column: utf8.RuneCountInString(rule[:off]) + 1,
		Msg:    fmt.Sprintf(format, args...),
	}
}

// ErrConflict is wrapped by table errors about an element that instances
// of different services define differently.
var ErrConflict = errors.New("conflicting definitions")

// ErrReference is wrapped by table errors about a router that names a
// service, middleware or entry point that does not exist or is disabled.
var ErrReference = errors.New("bad reference")
