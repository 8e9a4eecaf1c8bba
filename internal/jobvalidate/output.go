package jobvalidate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/orbit/orbit/internal/policy"
)

// write prints the findings in format.
func write(format string, w io.Writer, fs []finding, files int, sources map[string][]byte) error {
	switch format {
	case "json":
		return writeJSON(w, fs)
	case "sarif":
		return writeSARIF(w, fs)
	default:
		return writeText(w, fs, files, sources)
	}
}

// writeText prints "file:line:col: severity: [rule] message", the source
// line and a caret under the column, then a summary.
func writeText(w io.Writer, fs []finding, files int, sources map[string][]byte) error {
	bw := bufio.NewWriter(w)
	counts := map[policy.Severity]int{}
	for _, f := range fs {
		counts[f.Severity]++
		fmt.Fprintf(bw, "%s: %s: [%s] %s\n", f.Pos, f.Severity, f.Rule, f.Message)
		if line, ok := sourceLine(sources[f.Pos.File], f.Pos.Line); ok {
			fmt.Fprintf(bw, "    %s\n    %s^\n", line, caretPad(line, f.Pos.Column))
		}
	}
	plural := func(n int, word string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, word)
		}
		return fmt.Sprintf("%d %ss", n, word)
	}
	if len(fs) == 0 {
		fmt.Fprintf(bw, "%s checked: no findings\n", plural(files, "file"))
	} else {
		fmt.Fprintf(bw, "%s checked: %s, %s, %d excepted\n", plural(files, "file"),
			plural(counts[policy.SeverityError], "error"), plural(counts[policy.SeverityWarning], "warning"), counts[policy.SeverityInfo])
	}
	return bw.Flush()
}

// sourceLine returns line n (1-based) of src.
func sourceLine(src []byte, n int) (string, bool) {
	if src == nil || n < 1 {
		return "", false
	}
	lines := strings.Split(string(src), "\n")
	if n > len(lines) {
		return "", false
	}
	return strings.TrimRight(lines[n-1], "\r"), true
}

// caretPad returns the indentation that puts a caret under column col of
// line: tabs where the line has tabs, spaces elsewhere.
func caretPad(line string, col int) string {
	var b strings.Builder
	i := 1
	for _, r := range line {
		if i >= col {
			break
		}
		if r == '\t' {
			b.WriteRune('\t')
		} else {
			b.WriteRune(' ')
		}
		i++
	}
	return b.String()
}

// jsonFinding is one finding in the JSON output.
type jsonFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
}

func writeJSON(w io.Writer, fs []finding) error {
	out := make([]jsonFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFinding{Rule: f.Rule, Severity: string(f.Severity), File: f.Pos.File,
			Line: f.Pos.Line, Column: f.Pos.Column, Message: f.Message})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
