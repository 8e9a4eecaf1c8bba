package jobvalidate

import (
	"fmt"
	"io"

	"github.com/orbit/orbit/internal/policy"
	"github.com/orbit/orbit/internal/report"
)

// write prints the findings of the files checked in format.
func write(format string, w io.Writer, fs []finding, files int, sources map[string][]byte) error {
	f, err := report.ParseFormat(format)
	if err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	return report.Write(w, f, &report.Report{
		Rules:    reportRules(),
		Findings: toReport(fs),
		Checked:  files,
		Unit:     "file",
		Sources:  sources,
	})
}

// reportRules lists the parse rule and the policy rules.
func reportRules() []report.Rule {
	rules := []report.Rule{{ID: RuleParse, Severity: report.Error, Summary: "the job file parses and is a valid job"}}
	for _, r := range policy.Rules() {
		rules = append(rules, report.Rule{ID: r.ID, Severity: report.Severity(r.Severity), Summary: r.Summary})
	}
	return rules
}

// toReport converts policy findings, placed in files, to report findings.
func toReport(fs []finding) []report.Finding {
	out := make([]report.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, report.Finding{Rule: f.Rule, Severity: report.Severity(f.Severity),
			File: f.Pos.File, Line: f.Pos.Line, Column: f.Pos.Column, Message: f.Message, Exception: f.Exception})
	}
	return out
}
