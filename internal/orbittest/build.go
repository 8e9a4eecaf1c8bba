package orbittest

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"testing"
)

// Build compiles a main package of this module (for example
// "github.com/orbit/orbit/cmd/orbit") into a temporary directory and returns
// the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin, err := BuildTo(t.TempDir(), pkg)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// BuildTo compiles a main package of this module into dir and returns the
// binary's path; TestMain uses it to build once for a whole test package.
func BuildTo(dir, pkg string) (string, error) {
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// Webapp builds the small HTTP server that driver, client and job tests run
// as a task (internal/driver/testdata/webapp).
func Webapp(t testing.TB) string {
	return Build(t, "github.com/orbit/orbit/internal/driver/testdata/webapp")
}
