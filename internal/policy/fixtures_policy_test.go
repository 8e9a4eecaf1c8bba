package policy

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/jobspec"
)

func TestGoodFixturesHaveNoFindings(t *testing.T) {
	for _, f := range fixtureFiles(t, "good") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, fd := range checkFile(t, f) {
				t.Errorf("unexpected finding %s: %s [%s] %s", fd.Pos, fd.Severity, fd.Rule, fd.Message)
			}
		})
	}
}

// TestBadFixturesHaveExactlyTheExpectedFindings reads each file's
// "# expect: RULE @MARKER" header lines and resolves every marker to the
// line that carries "# @MARKER".
func TestBadFixturesHaveExactlyTheExpectedFindings(t *testing.T) {
	for _, f := range fixtureFiles(t, "bad") {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(t, src)
			if len(want) == 0 {
				t.Fatal("bad fixture without # expect lines")
			}
			var got []string
			for _, fd := range checkFile(t, f) {
				got = append(got, fmt.Sprintf("%s@%d", fd.Rule, fd.Pos.Line))
			}
			sort.Strings(got)
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("findings (rule@line):\n got %v\nwant %v", got, want)
				for _, fd := range checkFile(t, f) {
					t.Logf("%s: %s [%s] %s", fd.Pos, fd.Severity, fd.Rule, fd.Message)
				}
			}
		})
	}
}

func checkFile(t *testing.T, path string) []Finding {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := jobspec.Parse(path, src, jobspec.Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return Check(j, DefaultConfig())
}

// expectations returns "rule@line" for each expect header, sorted.
func expectations(t *testing.T, src []byte) []string {
	t.Helper()
	expectRE := regexp.MustCompile(`^#\s*expect:\s*(\S+)\s+@(\S+)\s*$`)
	markerRE := regexp.MustCompile(`#\s*@([A-Za-z0-9_-]+)\s*$`)
	markers := map[string]int{}
	var expects [][2]string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := expectRE.FindStringSubmatch(line); m != nil {
			expects = append(expects, [2]string{m[1], m[2]})
			continue
		}
		if m := markerRE.FindStringSubmatch(line); m != nil {
			if _, dup := markers[m[1]]; dup {
				t.Fatalf("marker @%s appears twice", m[1])
			}
			markers[m[1]] = n
		}
	}
	var out []string
	for _, e := range expects {
		line, ok := markers[e[1]]
		if !ok {
			t.Fatalf("expect names marker @%s, which no line carries", e[1])
		}
		out = append(out, fmt.Sprintf("%s@%d", e[0], line))
	}
	sort.Strings(out)
	return out
}
