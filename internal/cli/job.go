package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/jobspec"
	"github.com/orbit/orbit/internal/jobvalidate"
)

// cmdJob runs, plans, inspects, stops, reverts and validates jobs through
// the agent's Nomad-compatible API.
func cmdJob(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "job", args, map[string]func(context.Context, *Env, []string) int{
		"run": jobRun, "plan": jobPlan, "status": jobStatus, "stop": jobStop,
		"history": jobHistory, "revert": jobRevert,
		"validate": func(_ context.Context, e *Env, args []string) int {
			return jobvalidate.Run(args, e.Stdout, e.Stderr)
		},
	})
}

// parseArgs parses flags wherever they appear among the positional
// arguments ("orbit job run app.hcl -detach"), returning the positionals.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// varFlags registers -var and -var-file and returns the jobspec options
// once flags are parsed.
func varFlags(fs *flag.FlagSet) func() (jobspec.Options, error) {
	var vars, files multiFlag
	fs.Var(&vars, "var", "set a job variable: -var name=value (repeatable)")
	fs.Var(&files, "var-file", "read job variables from an HCL file (repeatable)")
	return func() (jobspec.Options, error) {
		opts := jobspec.Options{Vars: map[string]string{}}
		for _, v := range vars {
			name, value, ok := strings.Cut(v, "=")
			if !ok || name == "" {
				return opts, fmt.Errorf("-var %q: want name=value", v)
			}
			opts.Vars[name] = value
		}
		for _, f := range files {
			src, err := os.ReadFile(f)
			if err != nil {
				return opts, fmt.Errorf("read var file: %w", err)
			}
			opts.VarFiles = append(opts.VarFiles, jobspec.VarFile{Name: f, Src: src})
		}
		return opts, nil
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// loadJob parses a job file (- reads stdin) with the variables given.
func loadJob(e *Env, path string, opts jobspec.Options) (*job.Job, error) {
	var src []byte
	var err error
	if path == "-" {
		src, err = io.ReadAll(stdin(e))
	} else {
		src, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	j, err := jobspec.Parse(path, src, opts)
	if err != nil {
		return nil, err
	}
	j.Canonicalize()
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j, nil
}
