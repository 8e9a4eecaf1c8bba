package report

import (
	"fmt"
	"io"
)

// Severity is how much a finding matters. The values are those of
// internal/policy, so a policy.Severity converts with Severity(s).
type Severity string

// Severities, from worst to mildest. Info marks a finding the checked
// thing declared an exception for.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Finding is one departure from the standards. It sits in a file (File,
// Line, Column) or names a resource of a running cluster (Resource).
type Finding struct {
	Rule     string
	Severity Severity
	// File, Line and Column place the finding in a file; Line and Column
	// are 1-based, 0 when unknown.
	File   string
	Line   int
	Column int
	// Resource names what a finding without a file is about, e.g.
	// `service "web" instance "web-1" on node "n1"`.
	Resource string
	Message  string
	// Exception is the reason declared for the departure
	// ("legacy: ..."); the finding's severity is then Info.
	Exception string
}

// inFile reports whether the finding is placed in a file rather than on
// a resource.
func (f *Finding) inFile() bool { return f.File != "" || f.Resource == "" }

// where formats the finding's place: file:line:col (leaving out what is
// unknown, "-" when nothing is) or the resource.
func (f *Finding) where() string {
	if !f.inFile() {
		return f.Resource
	}
	switch {
	case f.Line <= 0 && f.File == "":
		return "-"
	case f.Line <= 0:
		return f.File
	case f.Column <= 0:
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
	}
}

// Rule describes a rule that can yield findings, for SARIF's rule list.
type Rule struct {
	ID       string
	Severity Severity // the default severity
	Summary  string
}

// Report is everything one run prints.
type Report struct {
	// Rules lists every rule the run could report, in a fixed order.
	Rules    []Rule
	Findings []Finding
	// Checked counts what was checked and Unit names one of it ("file",
	// "instance"), for the text summary "3 files checked: ...".
	Checked int
	Unit    string
	// Sources holds the contents of the files read, by name, so that the
	// text output can show the offending line.
	Sources map[string][]byte
}

// Format is an output format.
type Format string

// The formats.
const (
	Text  Format = "text"
	JSON  Format = "json"
	SARIF Format = "sarif"
)

// ParseFormat accepts "text", "json" or "sarif".
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, SARIF:
		return f, nil
	}
	return "", fmt.Errorf("format %q: want text, json or sarif", s)
}

// Write prints r to w in format f.
func Write(w io.Writer, f Format, r *Report) error {
	switch f {
	case JSON:
		return WriteJSON(w, r.Findings)
	case SARIF:
		return WriteSARIF(w, r.Rules, r.Findings)
	case Text:
		return WriteText(w, r)
	}
	return fmt.Errorf("write report: unknown format %q", f)
}

// HasErrors reports whether any finding has severity error: the checking
// commands then exit with status 1.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == Error {
			return true
		}
	}
	return false
}
