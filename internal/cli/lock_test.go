package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/orbittest/testagent"
)

type lockResult struct {
	code int
	errs string
}

// runLock runs `orbit lock` in the background; its result arrives on the
// returned channel.
func runLock(t *testing.T, a *testagent.Agent, args ...string) <-chan lockResult {
	out := make(chan lockResult, 1)
	go func() {
		code, _, errs := runCLI(t, a.Addr, "", append([]string{"lock"}, args...)...)
		out <- lockResult{code, errs}
	}()
	return out
}

func sessionIDs(t *testing.T, a *testagent.Agent) []string {
	t.Helper()
	c := &apiClient{base: a.URL, http: &http.Client{Timeout: 30 * time.Second}}
	var list []struct{ ID string }
	if _, err := c.do(context.Background(), "GET", "/v1/session/list", nil, &list); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func TestLockRunsOneHolderAtATime(t *testing.T) {
	a := testagent.Start(t)
	dir := t.TempDir()
	log, release := filepath.Join(dir, "log"), filepath.Join(dir, "release")
	first := runLock(t, a, "svc/batch", "echo A >> "+log+"; until [ -e "+release+" ]; do sleep 0.05; done")
	orbittest.Eventually(t, time.Minute, "the first holder's command to run", func() bool { return readFile(log) == "A\n" })
	second := runLock(t, a, "svc/batch", "echo B >> "+log)
	orbittest.Eventually(t, time.Minute, "the second contender's session", func() bool { return len(sessionIDs(t, a)) == 2 })
	if got := readFile(log); got != "A\n" {
		t.Fatalf("the second ran while the first held the lock: %q", got)
	}
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := <-first; r.code != 0 {
		t.Fatalf("first: %d %s", r.code, r.errs)
	}
	if r := <-second; r.code != 0 {
		t.Fatalf("second: %d %s", r.code, r.errs)
	}
	if got := readFile(log); got != "A\nB\n" {
		t.Fatalf("log: %q", got)
	}
	if ids := sessionIDs(t, a); len(ids) != 0 {
		t.Fatalf("sessions left behind: %v", ids)
	}
}

func TestLockLostStopsTheCommand(t *testing.T) {
	a := testagent.Start(t)
	started := filepath.Join(t.TempDir(), "started")
	done := runLock(t, a, "svc/x", "touch "+started+"; exec sleep 600")
	orbittest.Eventually(t, time.Minute, "the command to start", func() bool { _, err := os.Stat(started); return err == nil })
	ids := sessionIDs(t, a)
	if len(ids) != 1 {
		t.Fatalf("sessions: %v", ids)
	}
	put(t, a, "/v1/session/destroy/"+ids[0], "")
	if r := <-done; r.code != 1 || !strings.Contains(r.errs, "lock lost") {
		t.Fatalf("after the session was destroyed: %d %q", r.code, r.errs)
	}
}

func TestLockTimeoutAndChildExitCode(t *testing.T) {
	a := testagent.Start(t)
	// Someone else holds svc/y.
	c := &apiClient{base: a.URL, http: &http.Client{Timeout: 30 * time.Second}}
	var s struct{ ID string }
	if _, err := c.do(context.Background(), "PUT", "/v1/session/create", []byte(`{"TTL":"60s","NodeChecks":[]}`), &s); err != nil {
		t.Fatal(err)
	}
	put(t, a, "/v1/kv/svc/y/.lock?acquire="+s.ID, "other")
	if r := <-runLock(t, a, "-timeout", "500ms", "svc/y", "true"); r.code != 1 || !strings.Contains(r.errs, "not acquired") {
		t.Fatalf("timeout: %d %q", r.code, r.errs)
	}
	if r := <-runLock(t, a, "-child-exit-code", "svc/z", "exit 3"); r.code != 2 {
		t.Fatalf("-child-exit-code: %d %q", r.code, r.errs)
	}
	if r := <-runLock(t, a, "svc/z", "exit 3"); r.code != 0 {
		t.Fatalf("without -child-exit-code: %d %q", r.code, r.errs)
	}
}
