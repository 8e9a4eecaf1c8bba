package reporttest

import (
	"os"
	"strings"
	"testing"
)

// CheckExample keeps a README example true. It finds, in the markdown file
// at path, the fenced code block whose first line is prompt (a command line
// such as "$ orbit job validate x.hcl") and compares the block with want,
// which holds that prompt line and the output that follows it. With update
// it rewrites the block to want instead. A missing block is an error.
func CheckExample(t testing.TB, path, prompt, want string, update bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read example file: %v", err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	start, end := -1, -1
	for i := 0; i+1 < len(lines); i++ {
		if strings.HasPrefix(lines[i], "```") && strings.TrimRight(lines[i+1], "\n") == prompt {
			start = i + 1
			break
		}
	}
	for i := start + 1; start >= 0 && i < len(lines); i++ {
		if strings.TrimRight(lines[i], "\n") == "```" {
			end = i
			break
		}
	}
	if start < 0 || end < 0 {
		t.Fatalf("%s: no fenced block starting with %q", path, prompt)
	}
	got := strings.Join(lines[start:end], "")
	if got == want {
		return
	}
	if !update {
		t.Errorf("%s: the example %q is out of date; rerun the test with -update to rewrite it.\ngot:\n%s\nwant:\n%s", path, prompt, got, want)
		return
	}
	out := strings.Join(lines[:start], "") + want + strings.Join(lines[end:], "")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatalf("update example: %v", err)
	}
}
