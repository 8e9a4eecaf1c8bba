package jobvalidate

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/policy"
)

// Exit statuses.
const (
	ExitClean    = 0
	ExitFindings = 1
	ExitUsage    = 2
)

// RuleParse is the rule id of a job file that does not parse or validate.
const RuleParse = "parse"

// options are the parsed command line.
type options struct {
	policyFile string
	format     string
	vars       map[string]string
	varFiles   []string
	paths      []string
}

// Run runs "orbit job validate" with args (the arguments after "validate")
// and returns the exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "orbit job validate: %v\n", err)
		}
		return ExitUsage
	}
	v, err := newValidator(opts)
	if err != nil {
		fmt.Fprintf(stderr, "orbit job validate: %v\n", err)
		return ExitUsage
	}
	files, err := collect(opts.paths)
	if err != nil {
		fmt.Fprintf(stderr, "orbit job validate: %v\n", err)
		return ExitUsage
	}
	var findings []finding
	for _, f := range files {
		fs, err := v.checkFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "orbit job validate: %v\n", err)
			return ExitUsage
		}
		findings = append(findings, fs...)
	}
	if err := write(opts.format, stdout, findings, len(files), v.sources); err != nil {
		fmt.Fprintf(stderr, "orbit job validate: write output: %v\n", err)
		return ExitUsage
	}
	for _, f := range findings {
		if f.Severity == policy.SeverityError {
			return ExitFindings
		}
	}
	return ExitClean
}

// varFlag collects repeated -var name=value flags.
type varFlag map[string]string

func (v varFlag) String() string { return "" }

func (v varFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want name=value, got %q", s)
	}
	v[strings.TrimSpace(name)] = value
	return nil
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// parseArgs reads flags (-x or --x) anywhere among the paths.
func parseArgs(args []string, stderr io.Writer) (options, error) {
	opts := options{vars: map[string]string{}}
	fs := flag.NewFlagSet("orbit job validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.policyFile, "policy", "", "policy `FILE` that configures the rules (HCL)")
	fs.StringVar(&opts.format, "format", "text", "output format: text, json or sarif")
	fs.Var(varFlag(opts.vars), "var", "set a job variable: `name=value` (repeatable)")
	fs.Var((*listFlag)(&opts.varFiles), "var-file", "read job variables from an HCL `FILE` (repeatable)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: orbit job validate [-policy FILE] [-format text|json|sarif] [-var k=v] [-var-file F] PATH...")
		fs.PrintDefaults()
	}
	for {
		if err := fs.Parse(args); err != nil {
			return opts, err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		opts.paths = append(opts.paths, args[0])
		args = args[1:]
	}
	switch opts.format {
	case "text", "json", "sarif":
	default:
		return opts, fmt.Errorf("-format %q: want text, json or sarif", opts.format)
	}
	if len(opts.paths) == 0 {
		fs.Usage()
		return opts, errors.New("no PATH given")
	}
	return opts, nil
}

// finding is a policy finding or a parse error of one file.
type finding = policy.Finding

// validator checks files with one configuration.
type validator struct {
	cfg     policy.Config
	jobOpts jobspec.Options
	sources map[string][]byte // every file read, for the text output's source lines
}

func newValidator(opts options) (*validator, error) {
	v := &validator{cfg: policy.DefaultConfig(), sources: map[string][]byte{}}
	if opts.policyFile != "" {
		src, err := os.ReadFile(opts.policyFile)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		if v.cfg, err = policy.LoadConfig(opts.policyFile, src); err != nil {
			return nil, fmt.Errorf("policy: %w", err)
		}
	}
	v.jobOpts.Vars = opts.vars
	for _, name := range opts.varFiles {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read var file: %w", err)
		}
		v.sources[name] = src
		v.jobOpts.VarFiles = append(v.jobOpts.VarFiles, jobspec.VarFile{Name: name, Src: src})
	}
	return v, nil
}

// checkFile parses and checks one file. Only a file that cannot be read is
// an error; everything else is a finding.
func (v *validator) checkFile(f file) ([]finding, error) {
	src, err := os.ReadFile(f.path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	v.sources[f.path] = src
	var out []finding
	j, err := jobspec.Parse(f.path, src, v.jobOpts)
	if err != nil {
		for _, e := range job.AsErrorList(err) {
			pos := e.Pos
			if pos.File == "" {
				pos.File = f.path
			}
			out = append(out, finding{Rule: RuleParse, Severity: policy.SeverityError, Pos: pos, Message: e.Msg})
		}
	} else {
		out = policy.Check(j, v.cfg)
	}
	sort.SliceStable(out, func(i, k int) bool {
		if out[i].Pos.Line != out[k].Pos.Line {
			return out[i].Pos.Line < out[k].Pos.Line
		}
		return out[i].Pos.Column < out[k].Pos.Column
	})
	if f.testing {
		for i := range out {
			if out[i].Severity == policy.SeverityError {
				out[i].Severity = policy.SeverityWarning
				out[i].Message += " (work in progress under .testing/: reported as a warning)"
			}
		}
	}
	return out, nil
}
