package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// Mode is how the standards are enforced when a job is submitted.
type Mode string

// Enforcement modes.
const (
	// ModeOff admits every job and reports nothing.
	ModeOff Mode = "off"
	// ModeWarn admits every job and returns its findings as warnings
	// (recorded on the job version). It is the default.
	ModeWarn Mode = "warn"
	// ModeStrict refuses a job with error findings.
	ModeStrict Mode = "strict"
)

// ParseMode reads an enforcement mode as the agent configuration spells it;
// empty means ModeWarn.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeWarn, nil
	case ModeOff, ModeWarn, ModeStrict:
		return m, nil
	}
	return "", fmt.Errorf("policy enforce %q: want off, warn or strict", s)
}

// ErrRefused is what Admit's error wraps when the mode refuses the job.
var ErrRefused = errors.New("the job breaks the infrastructure standards")

// Decide sorts findings under mode into the warnings returned to the
// submitter and the refusals that keep the job out: in strict mode errors
// refuse, everything else warns; excepted findings (info) are shown with
// their reason; off yields nothing.
func Decide(mode Mode, findings []Finding) (warnings, refusals []string) {
	if mode == ModeOff {
		return nil, nil
	}
	for _, f := range findings {
		msg := fmt.Sprintf("[%s] %s", f.Rule, f.Message)
		if f.Pos.IsValid() {
			msg = f.Pos.String() + ": " + msg
		}
		switch {
		case f.Severity == SeverityInfo:
			warnings = append(warnings, msg+" (excepted: "+f.Exception+")")
		case f.Severity == SeverityError && mode == ModeStrict:
			refusals = append(refusals, msg)
		default:
			warnings = append(warnings, string(f.Severity)+": "+msg)
		}
	}
	return warnings, refusals
}

// Admit checks j against the standards under mode and cfg: the warnings
// to return, and an error wrapping ErrRefused, listing what to fix, when
// the job is refused.
func Admit(mode Mode, cfg Config, j *job.Job) ([]string, error) {
	if mode == ModeOff {
		return nil, nil
	}
	warnings, refusals := Decide(mode, Check(j, cfg))
	if len(refusals) > 0 {
		return warnings, fmt.Errorf("%w (policy enforce = %q):\n  %s\nfix the job, declare an exception in its meta, or check it first with `orbit job validate`",
			ErrRefused, ModeStrict, strings.Join(refusals, "\n  "))
	}
	return warnings, nil
}
