// Package drivertest builds the test programs the driver, client and
// benchmark tests run as tasks, and offers helpers to wait on them. Only
// tests import it.
package drivertest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BuildWebapp builds the webapp test server (a static binary, usable in a
// FROM scratch image) into a temporary directory and returns its path.
func BuildWebapp(t testing.TB) string {
	t.Helper()
	out, err := BuildWebappTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BuildWebappTo builds the webapp test server into dir (for a TestMain
// that shares one binary between tests) and returns its path.
func BuildWebappTo(dir string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(file), "..", "testdata", "webapp")
	out := filepath.Join(dir, "webapp")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build webapp: %v\n%s", err, b)
	}
	return out, nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WaitHTTP polls url until it answers 200 or timeout passes.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	if err := PollHTTP(url, timeout); err != nil {
		t.Fatal(err)
	}
}

// PollHTTP polls url until it answers 200 or timeout passes.
func PollHTTP(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer 200 within %v: %v", url, timeout, last)
}
