// Command run runs Consul's own API client test suite
// (github.com/hashicorp/consul/api, from the Go module proxy) against orbit:
// it builds orbit and the `consul` stand-in (../consul), copies the module
// to a work directory, compiles its tests once, runs each test in its own
// process with the stand-in first on $PATH, and writes the pass rate per
// file as a markdown table.
//
// It is a harness, not a test of the repository: nothing here imports orbit.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

const apiModule = "github.com/hashicorp/consul/api"

type options struct {
	repo     string
	work     string
	version  string
	parallel int
	timeout  time.Duration
	run      string
	files    string
	out      string
}

func main() {
	var o options
	flag.StringVar(&o.repo, "repo", ".", "orbit repository `dir` (builds ./cmd/orbit and test/consulsuite/consul)")
	flag.StringVar(&o.work, "work", "", "work `dir` (default: a new temporary directory)")
	flag.StringVar(&o.version, "version", "v1.34.5", "consul/api module `version`")
	flag.IntVar(&o.parallel, "parallel", 3, "tests run at once, each with its own orbit agent")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "per-test timeout")
	flag.StringVar(&o.run, "run", "", "only tests whose name matches this `regexp`")
	flag.StringVar(&o.files, "files", "", "only these test `files` (comma-separated, e.g. kv_test.go,catalog_test.go)")
	flag.StringVar(&o.out, "out", "", "write the markdown report to this `file` too (default: stdout only)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "consulsuite:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	repo, err := filepath.Abs(o.repo)
	if err != nil {
		return err
	}
	if o.work == "" {
		if o.work, err = os.MkdirTemp("", "consulsuite-"); err != nil {
			return err
		}
	}
	if o.work, err = filepath.Abs(o.work); err != nil {
		return err
	}
	bin := filepath.Join(o.work, "bin")
	logs := filepath.Join(o.work, "logs")
	for _, d := range []string{bin, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	logf("work dir %s", o.work)
	logf("building orbit and the consul stand-in")
	if err := goCmd(ctx, repo, nil, "build", "-o", filepath.Join(bin, "orbit"), "./cmd/orbit"); err != nil {
		return fmt.Errorf("build orbit: %w", err)
	}
	if err := goCmd(ctx, repo, nil, "build", "-o", filepath.Join(bin, "consul"), "./test/consulsuite/consul"); err != nil {
		return fmt.Errorf("build stand-in: %w", err)
	}
	src, err := download(ctx, o.work, apiModule+"@"+o.version)
	if err != nil {
		return err
	}
	suite := filepath.Join(o.work, "api")
	if err := os.RemoveAll(suite); err != nil {
		return err
	}
	if err := copyTree(src, suite); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	logf("compiling the suite (%s@%s)", apiModule, o.version)
	testBin := filepath.Join(o.work, "api.test")
	if err := goCmd(ctx, suite, []string{"GOFLAGS=-mod=mod"}, "test", "-c", "-o", testBin, "."); err != nil {
		return fmt.Errorf("compile the suite: %w", err)
	}
	tests, err := listTests(suite, o)
	if err != nil {
		return err
	}
	logf("running %d tests, %d at a time, %s each at most", len(tests), o.parallel, o.timeout)
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	results := runAll(ctx, tests, o, func(ctx context.Context, t test) result {
		return runOne(ctx, t, testBin, suite, logs, env, o.timeout)
	})
	report := markdown(results, o.version)
	fmt.Print(report)
	if err := writeJSON(filepath.Join(o.work, "results.json"), results); err != nil {
		return err
	}
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	logf("logs of each test in %s", logs)
	return ctx.Err()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "consulsuite: "+format+"\n", args...)
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

// download fetches module@version through the module proxy and returns its
// directory in the module cache.
func download(ctx context.Context, work, mod string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", mod, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	return info.Dir, nil
}

// copyTree copies the (read-only) module cache directory into a writable one.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

type test struct {
	File string
	Name string
}

var testFunc = regexp.MustCompile(`(?m)^func (Test\w+)\(\w+ \*testing\.T\)`)

// listTests reads the top-level test functions of each _test.go file.
func listTests(dir string, o options) ([]test, error) {
	var only *regexp.Regexp
	if o.run != "" {
		var err error
		if only, err = regexp.Compile(o.run); err != nil {
			return nil, fmt.Errorf("-run: %w", err)
		}
	}
	files := map[string]bool{}
	for _, f := range strings.Split(o.files, ",") {
		if f = strings.TrimSpace(f); f != "" {
			files[f] = true
		}
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		return nil, err
	}
	var tests []test
	for _, p := range paths {
		base := filepath.Base(p)
		if len(files) > 0 && !files[base] {
			continue
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		for _, m := range testFunc.FindAllSubmatch(src, -1) {
			name := string(m[1])
			if only != nil && !only.MatchString(name) {
				continue
			}
			tests = append(tests, test{File: base, Name: name})
		}
	}
	if len(tests) == 0 {
		return nil, errors.New("no test matches")
	}
	return tests, nil
}

type result struct {
	test
	Outcome string // pass, fail, skip, timeout
	Seconds float64
}

func runAll(ctx context.Context, tests []test, o options, one func(context.Context, test) result) []result {
	results := make([]result, len(tests))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(o.parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i] = one(ctx, tests[i])
				logf("%-4s %s (%s, %.0fs)", results[i].Outcome, tests[i].Name, tests[i].File, results[i].Seconds)
			}
		}()
	}
	for i := range tests {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// runOne runs one test in its own process group, so the orbit agents it
// started are ended with it whatever happened.
func runOne(ctx context.Context, t test, testBin, dir, logs string, env []string, timeout time.Duration) result {
	start := time.Now()
	res := result{test: t, Outcome: "fail"}
	logFile, err := os.Create(filepath.Join(logs, t.Name+".log"))
	if err != nil {
		logf("%v", err)
		return res
	}
	defer logFile.Close()
	cmd := exec.Command(testBin, "-test.run", "^"+t.Name+"$", "-test.v", "-test.count=1",
		"-test.timeout", timeout.String())
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(logFile, "start:", err)
		return res
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-time.After(timeout + 30*time.Second):
		res.Outcome = "timeout"
	case <-ctx.Done():
	}
	// End the group: the test binary if still there and every agent it left.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	if res.Outcome == "timeout" || ctx.Err() != nil {
		waitErr = <-done
	}
	res.Seconds = time.Since(start).Seconds()
	if res.Outcome == "timeout" {
		return res
	}
	out, _ := os.ReadFile(logFile.Name())
	switch {
	case waitErr == nil && strings.Contains(string(out), "--- SKIP: "+t.Name+" "):
		res.Outcome = "skip"
	case waitErr == nil:
		res.Outcome = "pass"
	case strings.Contains(string(out), "panic: test timed out"):
		res.Outcome = "timeout"
	}
	return res
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// markdown is the report: a table of pass rates per file, then the tests
// that did not pass, by file.
func markdown(results []result, version string) string {
	type row struct{ total, pass, fail, skip int }
	rows := map[string]*row{}
	failed := map[string][]string{}
	var sum row
	for _, r := range results {
		if r.Outcome == "" {
			continue // not run (interrupted)
		}
		w := rows[r.File]
		if w == nil {
			w = &row{}
			rows[r.File] = w
		}
		for _, x := range []*row{w, &sum} {
			x.total++
			switch r.Outcome {
			case "pass":
				x.pass++
			case "skip":
				x.skip++
			default:
				x.fail++
			}
		}
		if r.Outcome == "fail" || r.Outcome == "timeout" {
			name := r.Name
			if r.Outcome == "timeout" {
				name += " (timeout)"
			}
			failed[r.File] = append(failed[r.File], name)
		}
	}
	files := make([]string, 0, len(rows))
	for f := range rows {
		files = append(files, f)
	}
	sort.Strings(files)
	pct := func(r row) string {
		if r.total-r.skip == 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f %%", 100*float64(r.pass)/float64(r.total-r.skip))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Consul API test suite (%s@%s) against orbit:\n\n", apiModule, version)
	b.WriteString("| file | tests | pass | fail | skip | pass rate |\n|---|---:|---:|---:|---:|---:|\n")
	for _, f := range files {
		r := *rows[f]
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s |\n", f, r.total, r.pass, r.fail, r.skip, pct(r))
	}
	fmt.Fprintf(&b, "| **all** | %d | %d | %d | %d | **%s** |\n", sum.total, sum.pass, sum.fail, sum.skip, pct(sum))
	if len(failed) > 0 {
		b.WriteString("\nNot passing:\n\n")
		for _, f := range files {
			if len(failed[f]) > 0 {
				fmt.Fprintf(&b, "- %s: %s\n", f, strings.Join(failed[f], ", "))
			}
		}
	}
	return b.String()
}
