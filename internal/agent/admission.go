package agent

import (
	"context"
	"fmt"
	"os"

	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/policy"
)

// Policy enforcement modes at job submission (policy.Mode's values).
const (
	EnforceOff    = string(policy.ModeOff)
	EnforceWarn   = string(policy.ModeWarn)
	EnforceStrict = string(policy.ModeStrict)
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

// admitter checks submitted jobs against the infrastructure standards;
// the decision is policy.Admit's.
type admitter struct {
	mode policy.Mode
	cfg  policy.Config
}

func newAdmitter(pc PolicyConfig) (*admitter, error) {
	mode, err := policy.ParseMode(pc.Enforce)
	if err != nil {
		return nil, err
	}
	a := &admitter{mode: mode, cfg: policy.DefaultConfig()}
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
func (a *admitter) Admit(_ context.Context, j *job.Job) ([]string, error) {
	return policy.Admit(a.mode, a.cfg, j)
}
