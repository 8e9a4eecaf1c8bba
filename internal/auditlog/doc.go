// Package auditlog writes orbit's audit log: one JSON line per audited
// HTTP request (every write and every denial on every listener, as
// httpkit.Serve decides and records them), to a file rotated by size that
// keeps a bounded number of files.
//
// It is not the standards audit (package audit, `orbit audit`). It
// implements httpkit.Auditor; package agent opens it from the agent
// configuration's `audit { }` block and hands it to the listeners.
package auditlog
