package jobvalidate

import (
	"os"
	"path/filepath"
	"testing"
)

// fixturesDir finds shared/fixtures by walking up from the package
// directory: the repository and shared/ sit side by side, locally and in CI.
func fixturesDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		candidate := filepath.Join(dir, "shared", "fixtures")
		if st, err := os.Stat(candidate); err == nil && st.IsDir() {
			return candidate
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/fixtures not found beside the repository (looked in every parent directory); skipping fixture tests")
		}
		dir = parent
	}
}

func fixtureFiles(t *testing.T, kind string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixturesDir(t), "jobs", kind, "*.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no fixtures in jobs/%s", kind)
	}
	return files
}
