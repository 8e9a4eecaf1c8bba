package routing

import (
	"os"
	"strings"
	"testing"
)

// readmeBlocks returns the lines of the README's fenced blocks of a kind.
func readmeBlocks(t *testing.T, kind string) []string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	var lines []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case line == "```"+kind:
			in = true
		case in && line == "```":
			in = false
		case in && line != "":
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("README has no %s block", kind)
	}
	return lines
}

func TestREADMEExamples(t *testing.T) {
	for _, rule := range readmeBlocks(t, "rule") {
		if _, err := ParseRule(rule); err != nil {
			t.Errorf("README rule: %v", err)
		}
	}
	tags := readmeBlocks(t, "tags")
	for _, tag := range tags {
		if err := CheckTag(tag); err != nil {
			t.Errorf("README tag: %v", err)
		}
	}
	tbl := Build(Config{EntryPoints: testEPs}, []ServiceInstances{
		{Name: "api", Instances: []Instance{inst("i1", 8080, StatusPassing, tags...)}},
	})
	if errs := tbl.Errors(); len(errs) != 0 {
		t.Errorf("README tags build with errors: %v", errs)
	}
}
