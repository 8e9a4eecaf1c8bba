package filter

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that every rejection is a
// *SyntaxError wrapping ErrInvalid with a column inside the expression, and
// that every accepted expression renders to a canonical form which parses
// back to the same tree and matches the same values. The seed corpus is in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	values := []any{decode(f, entryJSON), nil, "x", []any{map[string]any{"a": "b"}}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): %v is not a *SyntaxError wrapping ErrInvalid", src, err)
			}
			if se.Column < 1 || se.Column > utf8.RuneCountInString(src)+1 {
				t.Fatalf("Parse(%q): column %d outside the expression", src, se.Column)
			}
			return
		}
		if e == nil {
			return
		}
		canon := e.root.canonical()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) rendered as %q, which does not parse: %v", src, canon, err)
		}
		if got := again.root.canonical(); got != canon {
			t.Fatalf("canonical form of %q is unstable:\n%s\n%s", src, canon, got)
		}
		for _, v := range values {
			if e.Match(v) != again.Match(v) {
				t.Fatalf("%q and its canonical form %q disagree on %#v", src, canon, v)
			}
		}
	})
}
