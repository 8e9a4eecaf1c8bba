package report

import (
	"encoding/json"
	"io"
)

// fileJSON is a file finding in the JSON output.
type fileJSON struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Message  string `json:"message"`
}

// resourceJSON is a resource finding in the JSON output: it names the
// resource instead of a file position.
type resourceJSON struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Resource string `json:"resource"`
	Message  string `json:"message"`
}

// WriteJSON prints the findings as an indented JSON array: file findings
// as {rule, severity, file, line, column, message}, resource findings as
// {rule, severity, resource, message}. No findings print [].
func WriteJSON(w io.Writer, fs []Finding) error {
	out := make([]any, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		if f.inFile() {
			out = append(out, fileJSON{Rule: f.Rule, Severity: string(f.Severity), File: f.File,
				Line: f.Line, Column: f.Column, Message: f.Message})
		} else {
			out = append(out, resourceJSON{Rule: f.Rule, Severity: string(f.Severity),
				Resource: f.Resource, Message: f.Message})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
