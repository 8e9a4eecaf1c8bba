// Package report prints standards findings in the three formats orbit's
// checking commands share: text for people (file:line:col, the offending
// line and a caret under the column, then a summary), a JSON array for
// scripts, and SARIF 2.1.0 for code-scanning UIs.
//
// A finding either sits in a file (a job file checked by "orbit job
// validate") or names a resource of a running cluster (an instance, a
// service or the agent, checked by "orbit audit"). File findings get a
// SARIF physicalLocation and resource findings a logicalLocations entry.
//
// It is formatting only: it decides nothing about what is a finding, reads
// no files (the caller passes the sources it read) and writes only to the
// writer it is given. internal/jobvalidate and internal/cli (orbit audit)
// import it; it imports nothing internal.
package report
