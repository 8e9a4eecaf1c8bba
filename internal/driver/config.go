package driver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// DecodeConfig decodes a task's driver block into out (a struct with json
// tags), rejecting keys the driver does not know, so a typo is an error
// rather than a silent drop.
func DecodeConfig(driver string, cfg map[string]any, out any) error {
	b, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConfig, driver, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConfig, driver, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// EnvList turns an environment map into sorted KEY=value pairs.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// ResolveCommand finds a task's command: an absolute path as is, a path
// with a slash relative to the task directory, a bare name in the task
// directory or else on the task's PATH (the agent's when the task has none).
func ResolveCommand(command, taskDir string, env map[string]string) (string, error) {
	if command == "" {
		return "", fmt.Errorf("%w: command is required", ErrConfig)
	}
	if filepath.IsAbs(command) {
		return command, nil
	}
	if strings.Contains(command, "/") {
		return filepath.Join(taskDir, command), nil
	}
	local := filepath.Join(taskDir, command)
	if p, err := exec.LookPath(local); err == nil {
		return p, nil
	}
	if path, ok := env["PATH"]; ok {
		for _, dir := range filepath.SplitList(path) {
			if p, err := exec.LookPath(filepath.Join(dir, command)); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("command %q not found in the task directory or on PATH %s", command, path)
	}
	p, err := exec.LookPath(command)
	if err != nil {
		return "", fmt.Errorf("command %q not found in the task directory or on PATH: %w", command, err)
	}
	return p, nil
}
