package client

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
)

// renderFirst renders every template before the task starts, waiting
// while a template's keys are missing (consul-template blocks on them).
// It returns errStopped when the task is killed or detached meanwhile.
func (tr *taskRunner) renderFirst() error {
	if len(tr.task.Templates) == 0 {
		return nil
	}
	for {
		ready, err := tr.renderAll(true)
		if err != nil {
			return err
		}
		if ready {
			return nil
		}
		select {
		case <-tr.viewCh:
		case <-tr.killCh:
			tr.dead("Killed", "Task killed while waiting for its templates", false)
			return errStopped
		case <-tr.ar.detach.Done():
			return errStopped
		}
	}
}

// renderAll renders every template. With first it writes them all (and
// reports missing keys as an event); it reports whether all were ready.
func (tr *taskRunner) renderAll(first bool) (bool, error) {
	base := tr.baseEnv()
	dir := tr.ar.c.allocDir(tr.ar.id)
	taskDir := filepath.Join(dir, tr.task.Name)
	var states []*tplState
	var missing []string
	for _, t := range tr.task.Templates {
		res, err := tr.render(t, base, taskDir)
		if err != nil {
			return false, err
		}
		missing = append(missing, res.Missing...)
		path, err := templatePath(dir, taskDir, interpolate(t.Destination, base, tr.ar.c.nodeFacts()))
		if err != nil {
			return false, err
		}
		states = append(states, &tplState{tpl: t, path: path, content: res.Content})
	}
	if len(missing) > 0 {
		msg := "Missing: " + strings.Join(missing, ", ")
		if msg != tr.missing {
			tr.missing = msg
			tr.event("Template", msg, nil)
		}
		return false, nil
	}
	if err := tr.writeTemplates(states); err != nil {
		return false, err
	}
	tr.tpls = states
	return true, nil
}

// render renders one template's data (or its source file).
func (tr *taskRunner) render(t *job.Template, env map[string]string, taskDir string) (renderResult, error) {
	data := t.Data
	if data == "" && t.Source != "" {
		src := t.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(taskDir, src)
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return renderResult{}, fmt.Errorf("template source: %w", err)
		}
		data = string(b)
	}
	data = interpolate(data, env, tr.ar.c.nodeFacts())
	var src TemplateSource = tr.ar.c.view
	tr.ar.mu.Lock()
	token := tr.consulToken
	tr.ar.mu.Unlock()
	if a := tr.ar.c.tplAccess; a != nil && token != "" {
		src = aclSource{src: src, may: func(kind, name string) bool { return a.MayRead(token, kind, name) }}
	}
	return renderTemplate(t, data, src, env)
}

// writeTemplates writes rendered files and collects env templates.
func (tr *taskRunner) writeTemplates(states []*tplState) error {
	env := map[string]string{}
	for _, s := range states {
		perm := os.FileMode(0o644)
		if s.tpl.Perms != "" {
			if p, err := strconv.ParseUint(s.tpl.Perms, 8, 32); err == nil {
				perm = os.FileMode(p)
			}
		}
		if _, err := writeIfChanged(s.path, s.content, perm); err != nil {
			return fmt.Errorf("write template %s: %w", s.tpl.Destination, err)
		}
		if s.tpl.Env {
			vars, err := parseEnvFile(s.content)
			if err != nil {
				return fmt.Errorf("env template %s: %w", s.tpl.Destination, err)
			}
			maps.Copy(env, vars)
		}
	}
	tr.tplEnv = env
	return nil
}

// baseEnv is the environment templates see through env: the task's
// environment without the templates' own variables.
func (tr *taskRunner) baseEnv() map[string]string {
	saved := tr.tplEnv
	tr.tplEnv = nil
	env := tr.buildEnv()
	tr.tplEnv = saved
	return env
}

// rerender renders the templates again after a view change, writes the
// changed ones and returns the strongest change mode among them (restart
// over signal over noop) with the signal to send.
func (tr *taskRunner) rerender() (string, driver.Signal) {
	if len(tr.tpls) == 0 {
		return "", 0
	}
	old := map[string]string{}
	for _, s := range tr.tpls {
		old[s.path] = s.content
	}
	ready, err := tr.renderAll(false)
	if err != nil || !ready {
		if err != nil {
			tr.log.Warn("re-render templates", "err", err)
		}
		return "", 0
	}
	mode, sig := "", driver.Signal(0)
	for _, s := range tr.tpls {
		if old[s.path] == s.content {
			continue
		}
		switch m := s.tpl.ChangeMode; {
		case m == "" || m == job.ChangeModeRestart:
			mode = job.ChangeModeRestart
		case m == job.ChangeModeSignal && mode != job.ChangeModeRestart:
			mode, sig = job.ChangeModeSignal, taskSignal(s.tpl.ChangeSignal)
		case m == job.ChangeModeNoop && mode == "":
			mode = job.ChangeModeNoop
		}
	}
	// Restore the env the running task was started with, plus the new
	// template variables, for the next start.
	tr.buildEnv()
	return mode, sig
}
