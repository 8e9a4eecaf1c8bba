package jobvalidate

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/orbit/orbit/internal/jobspec"
)

// Folder names with a meaning for validation.
const (
	testingDir = ".testing" // work in progress: errors become warnings
	archiveDir = ".archive" // old versions: skipped
)

// file is a job file to check.
type file struct {
	path    string
	testing bool // under a .testing/ folder
}

// collect expands the PATH arguments into job files, in the order given and
// lexical order within directories.
func collect(paths []string) ([]file, error) {
	var out []file
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("path %s: %w", p, err)
		}
		if inFolder(p, archiveDir) {
			continue
		}
		if !st.IsDir() {
			out = append(out, file{path: p, testing: inFolder(p, testingDir)})
			continue
		}
		found, err := walk(p)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

// walk finds the job files of a directory tree, passing over .archive/
// and hidden tool folders (.git, .terraform), and HCL files that hold no job.
func walk(root string) ([]file, error) {
	var out []file
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", path, err)
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && strings.HasPrefix(name, ".") && name != testingDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !jobFileName(name) {
			return nil
		}
		if !strings.HasSuffix(name, ".nomad.hcl") && !strings.HasSuffix(name, ".nomad") {
			src, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			if !jobspec.IsJobFile(path, src) {
				return nil
			}
		}
		out = append(out, file{path: path, testing: inFolder(path, testingDir)})
		return nil
	})
	return out, err
}

func jobFileName(name string) bool {
	return strings.HasSuffix(name, ".hcl") || strings.HasSuffix(name, ".nomad")
}

// inFolder reports whether path has a directory element named dir.
func inFolder(path, dir string) bool {
	elems := strings.Split(filepath.ToSlash(filepath.Clean(path)), "/")
	for _, e := range elems[:len(elems)-1] {
		if e == dir {
			return true
		}
	}
	return elems[len(elems)-1] == dir
}
