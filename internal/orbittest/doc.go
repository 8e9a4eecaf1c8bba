// Package orbittest is the test harness: it starts real things in process
// (an embedded etcd in t.TempDir(), a view over it) on OS-chosen ports and
// stops them with t.Cleanup. Only tests import it.
package orbittest
