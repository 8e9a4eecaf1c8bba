package routing

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
)

// FuzzParseRule checks that ParseRule never panics, that every error is a
// *ParseError with a column inside the rule, and that an accepted rule's
// canonical form parses to the same canonical form and can be matched.
func FuzzParseRule(f *testing.F) {
	for _, seed := range []string{
		"Host(`example.com`)",
		"Host(`a`) && (PathPrefix(`/api`) || !Method(`GET`))",
		"HeaderRegexp(`X`, `^a+$`) || Query(`k`) || QueryRegexp(`k`, \"v\\\"\")",
		"ClientIP(`10.0.0.0/8`) && !ClientIP(`::1`)",
		"Host(`a`",
		"((((",
	} {
		f.Add(seed)
	}
	req := &http.Request{Method: "GET", Host: "example.com", Header: http.Header{"X": {"aa"}}}
	f.Fuzz(func(t *testing.T, rule string) {
		r, err := ParseRule(rule)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error is not a *ParseError: %v", err)
			}
			if pe.Column < 1 || pe.Column > len([]rune(rule))+1 {
				t.Fatalf("column %d outside rule %q", pe.Column, rule)
			}
			return
		}
		canon := r.Canonical()
		again, err := ParseRule(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, rule, err)
		}
		if again.Canonical() != canon {
			t.Fatalf("canonical form is not stable: %q then %q", canon, again.Canonical())
		}
		_ = r.Match(req, netip.MustParseAddr("10.0.0.1"))
		_ = r.Hosts()
	})
}
