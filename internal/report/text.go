package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteText prints each finding as "place: severity: [rule] message" (the
// place is file:line:col or the resource), followed for file findings by
// the source line and a caret under the column, then a summary line.
func WriteText(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	counts := map[Severity]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		counts[f.Severity]++
		fmt.Fprintf(bw, "%s: %s: [%s] %s\n", f.where(), f.Severity, f.Rule, f.Message)
		if !f.inFile() {
			continue
		}
		if line, ok := sourceLine(r.Sources[f.File], f.Line); ok {
			fmt.Fprintf(bw, "    %s\n    %s^\n", line, caretPad(line, f.Column))
		}
	}
	unit := r.Unit
	if unit == "" {
		unit = "item"
	}
	if len(r.Findings) == 0 {
		fmt.Fprintf(bw, "%s checked: no findings\n", plural(r.Checked, unit))
	} else {
		fmt.Fprintf(bw, "%s checked: %s, %s, %d excepted\n", plural(r.Checked, unit),
			plural(counts[Error], "error"), plural(counts[Warning], "warning"), counts[Info])
	}
	return bw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
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
