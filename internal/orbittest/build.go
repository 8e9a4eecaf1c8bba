package orbittest

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// Build compiles a main package of this module (for example
// "github.com/orbit/orbit/cmd/orbit") into a temporary directory and returns
// the binary's path.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Env = append(cmd.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Webapp builds the small HTTP server that driver, client and job tests run
// as a task (internal/driver/testdata/webapp).
func Webapp(t testing.TB) string {
	return Build(t, "github.com/orbit/orbit/internal/driver/testdata/webapp")
}
