package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/policy"
)

// Policy enforcement modes at job submission.
const (
	EnforceOff    = "off"
	EnforceWarn   = "warn"
	EnforceStrict = "strict"
)

// PolicyConfig is the agent config's `policy { ... }` block.
type PolicyConfig struct {
	// Enforce is off, warn (default: accept and return the findings as
	// warnings, recorded on the job) or strict (refuse a job with errors).
	Enforce string `hcl:"enforce,optional"`
	// File is an HCL policy file (rules on/off, severities), the same one
	// `orbit job validate -policy` reads.
	File string `hcl:"file,optional"`
}

// admitter checks submitted jobs against the infrastructure standards.
type admitter struct {
	mode string
	cfg  policy.Config
}

func newAdmitter(pc PolicyConfig) (*admitter, error) {
	a := &admitter{mode: pc.Enforce, cfg: policy.DefaultConfig()}
	switch a.mode {
	case "":
		a.mode = EnforceWarn
	case EnforceOff, EnforceWarn, EnforceStrict:
	default:
		return nil, fmt.Errorf("policy enforce %q: want off, warn or strict", pc.Enforce)
	}
	if pc.File != "" {
		src, err := os.ReadFile(pc.File)
		if err != nil {
			return nil, fmt.Errorf("policy file: %w", err)
		}
		if a.cfg, err = policy.LoadConfig(pc.File, src); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Admit returns the findings as warnings (warn), refuses a job with error
// findings (strict), or admits everything (off).
func (a *admitter) Admit(ctx context.Context, j *job.Job) ([]string, error) {
	if a.mode == EnforceOff {
		return nil, nil
	}
	var warnings, errs []string
	for _, f := range policy.Check(j, a.cfg) {
		msg := fmt.Sprintf("[%s] %s", f.Rule, f.Message)
		if f.Pos.IsValid() {
			msg = f.Pos.String() + ": " + msg
		}
		switch {
		case f.Severity == policy.SeverityInfo:
			warnings = append(warnings, msg+" (excepted: "+f.Exception+")")
		case f.Severity == policy.SeverityError && a.mode == EnforceStrict:
			errs = append(errs, msg)
		default:
			warnings = append(warnings, string(f.Severity)+": "+msg)
		}
	}
	if len(errs) > 0 {
		return warnings, errors.New("the job breaks the infrastructure standards (policy enforce = \"strict\"):\n  " +
			strings.Join(errs, "\n  ") + "\nfix the job, declare an exception in its meta, or check it first with `orbit job validate`")
	}
	return warnings, nil
}
