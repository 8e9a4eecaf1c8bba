package filter

import (
	"os"
	"strings"
	"testing"
)

// fenced returns the contents of the first ``` block tagged lang in md.
func fenced(t *testing.T, md, lang string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(md, "```"+lang+"\n")
	if !ok {
		t.Fatalf("README.md has no ```%s block", lang)
	}
	body, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("README.md: ```%s block is not closed", lang)
	}
	return strings.Split(strings.TrimRight(body, "\n"), "\n")
}

// TestREADME runs the README's examples and checks its error messages, so
// the documentation cannot drift from the code.
func TestREADME(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README.md: %v", err)
	}
	md := string(raw)
	entry := decode(t, strings.Join(fenced(t, md, "json"), "\n"))

	examples := fenced(t, md, "examples")
	if len(examples) < 10 {
		t.Fatalf("README.md has only %d examples", len(examples))
	}
	for _, line := range examples {
		want, expr, _ := strings.Cut(line, " ")
		expr = strings.TrimSpace(expr)
		e, err := Parse(expr)
		if err != nil {
			t.Errorf("README example %q: %v", expr, err)
			continue
		}
		if got := e.Match(entry); (want == "true") != got || (want != "true" && want != "false") {
			t.Errorf("README example %q: got %v, README says %s", expr, got, want)
		}
	}

	errs := fenced(t, md, "errors")
	if len(errs)%2 != 0 {
		t.Fatalf("README errors block must pair each expression with its message")
	}
	for i := 0; i < len(errs); i += 2 {
		_, err := Parse(errs[i])
		if err == nil || err.Error() != errs[i+1] {
			t.Errorf("README error for %q:\n got %v\nwant %s", errs[i], err, errs[i+1])
		}
	}
}
