// Package jobvalidate is the body of "orbit job validate": it parses job
// files, checks them against the standards and prints the findings as
// text (file:line:col, the line and a caret), JSON or SARIF 2.1.0.
//
//	orbit job validate [-policy FILE] [-format text|json|sarif]
//	                   [-var k=v]... [-var-file F]... PATH...
//
// PATH is a job file or a directory tree, searched for *.nomad.hcl, *.nomad
// and *.hcl job files (other HCL files, such as var files, are passed
// over). Files under a .testing/ folder are work in progress: their errors
// are reported as warnings. Files under .archive/ are skipped. A file that
// does not parse is a finding of rule "parse". Exit status: 0 clean
// (warnings allowed), 1 errors found, 2 could not run.
//
// It reads files and writes to the given writers, nothing else: no network,
// no agent. internal/cli imports it.
package jobvalidate
