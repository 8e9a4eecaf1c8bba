package client

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/view"
)

// TemplateSource is what templates read: the KV store and the catalog.
// *view.View satisfies it.
type TemplateSource interface {
	KV(key string) (*catalog.KVEntry, bool)
	KVList(prefix string) []*catalog.KVEntry
	Entries(service string) []view.Entry
	Services() map[string][]string
}

var _ TemplateSource = (*view.View)(nil)

// KeyPair is one KV entry as consul-template's ls and tree return it: Key
// is relative to the prefix asked for, Path is the full key.
type KeyPair struct {
	Path, Key, Value string
	Flags            uint64
}

// ServiceEntry is one healthy instance as consul-template's service
// returns it.
type ServiceEntry struct {
	Node, NodeAddress, Address, ID, Name, Status string
	Port                                         int
	Tags                                         []string
	Meta                                         map[string]string
}

// CatalogService is one service as consul-template's services returns it.
type CatalogService struct {
	Name string
	Tags []string
}

// renderResult is one rendering of a template.
type renderResult struct {
	Content string
	// Missing names the keys the template waits for (consul-template's
	// key blocks until the key exists): the template is not ready.
	Missing []string
}

// renderTemplate renders tpl's data (or its source file) with
// consul-template's common functions over src, and env for env.
func renderTemplate(tpl *job.Template, data string, src TemplateSource, env map[string]string) (renderResult, error) {
	var res renderResult
	funcs := template.FuncMap{
		"key": func(k string) string {
			if e, ok := src.KV(k); ok {
				return string(e.Value)
			}
			res.Missing = append(res.Missing, "kv.block("+k+")")
			return ""
		},
		"keyOrDefault": func(k, def string) string {
			if e, ok := src.KV(k); ok {
				return string(e.Value)
			}
			return def
		},
		"ls":       func(prefix string) []KeyPair { return keyPairs(src, prefix, false) },
		"tree":     func(prefix string) []KeyPair { return keyPairs(src, prefix, true) },
		"service":  func(spec string) []ServiceEntry { return healthyService(src, spec) },
		"services": func() []CatalogService { return catalogServices(src) },
		"env":      func(k string) string { return env[k] },
		"toJSON": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		"toJSONPretty": func(v any) (string, error) {
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		},
		"toLower": strings.ToLower, "toUpper": strings.ToUpper, "trimSpace": strings.TrimSpace,
		"split":      func(sep, s string) []string { return strings.Split(s, sep) },
		"join":       func(sep string, l []string) string { return strings.Join(l, sep) },
		"contains":   func(sub, s string) bool { return strings.Contains(s, sub) },
		"replaceAll": func(old, new, s string) string { return strings.ReplaceAll(s, old, new) },
		"parseInt":   func(s string) (int64, error) { return strconv.ParseInt(strings.TrimSpace(s), 10, 64) },
		"parseBool":  func(s string) (bool, error) { return strconv.ParseBool(strings.TrimSpace(s)) },
	}
	left, right := tpl.LeftDelim, tpl.RightDelim
	if left == "" {
		left = "{{"
	}
	if right == "" {
		right = "}}"
	}
	t, err := template.New(tpl.Destination).Delims(left, right).Funcs(funcs).Option("missingkey=zero").Parse(data)
	if err != nil {
		return res, fmt.Errorf("template %s: %w", tpl.Destination, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return res, fmt.Errorf("template %s: %w", tpl.Destination, err)
	}
	res.Content = buf.String()
	return res, nil
}

func keyPairs(src TemplateSource, prefix string, recurse bool) []KeyPair {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	var out []KeyPair
	for _, e := range src.KVList(prefix) {
		rel := strings.TrimPrefix(e.Key, prefix)
		if rel == "" || (!recurse && strings.Contains(rel, "/")) || strings.HasSuffix(rel, "/") {
			continue
		}
		out = append(out, KeyPair{Path: e.Key, Key: rel, Value: string(e.Value), Flags: e.Flags})
	}
	return out
}

// healthyService returns the passing instances of "[tag.]name[@dc]".
func healthyService(src TemplateSource, spec string) []ServiceEntry {
	spec, _, _ = strings.Cut(spec, "@")
	tag, name := "", spec
	if i := strings.LastIndexByte(spec, '.'); i >= 0 {
		tag, name = spec[:i], spec[i+1:]
	}
	var out []ServiceEntry
	for _, e := range src.Entries(name) {
		if e.Status != catalog.Passing || (tag != "" && !e.Instance.HasTag(tag)) {
			continue
		}
		addr := e.Instance.Address
		if addr == "" {
			addr = e.Node.Address
		}
		out = append(out, ServiceEntry{Node: e.Node.Name, NodeAddress: e.Node.Address, Address: addr,
			ID: e.Instance.ID, Name: e.Instance.Name, Status: string(e.Status), Port: e.Instance.Port,
			Tags: e.Instance.Tags, Meta: e.Instance.Meta})
	}
	return out
}

func catalogServices(src TemplateSource) []CatalogService {
	all := src.Services()
	out := make([]CatalogService, 0, len(all))
	for name, tags := range all {
		out = append(out, CatalogService{Name: name, Tags: tags})
	}
	slices.SortFunc(out, func(a, b CatalogService) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// parseEnvFile parses an env = true template's output: KEY=value lines,
// blank lines and # comments ignored, optional quotes removed.
func parseEnvFile(s string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d: %q is not KEY=value", n, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, nil
}

// templatePath resolves a destination relative to the task directory and
// keeps it inside the allocation directory.
func templatePath(allocDir, taskDir, dest string) (string, error) {
	p := dest
	if !filepath.IsAbs(p) {
		p = filepath.Join(taskDir, dest)
	}
	p = filepath.Clean(p)
	if rel, err := filepath.Rel(allocDir, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("template destination %q is outside the allocation directory", dest)
	}
	return p, nil
}

// writeIfChanged writes content to path (atomically) unless it already
// holds it, and reports whether it wrote.
func writeIfChanged(path, content string, perm os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && string(old) == content {
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), perm); err != nil {
		return false, err
	}
	return true, os.Rename(tmp, path)
}
