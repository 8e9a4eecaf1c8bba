package policy

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Config turns rules on and off, changes their severity and tunes the
// rules that have settings. The zero Config runs every rule at its default
// severity with the default settings.
//
// In a policy file:
//
//	rule "ha-count" {
//	  severity  = "error"
//	  min_count = 3
//	}
//	rule "dynamic-ports" {
//	  allowed_ports = [53, 80, 443, 853]
//	}
//	rule "traefik-tags" {
//	  plain_entrypoints = ["web"]
//	}
//	rule "hardcoded-address" {
//	  enabled = false
//	}
type Config struct {
	Rules map[string]RuleConfig
	// AllowedPorts are the static ports dynamic-ports accepts: the
	// standard's exceptions 53, 80 and 443 when empty.
	AllowedPorts []int
	// MinCount is the count ha-count asks of routed services: 2 when 0.
	MinCount int
	// PlainEntryPoints are the edge's plain-HTTP entry points: a router with
	// tls=true on only these is a traefik-tags finding. "web" and "http"
	// when empty.
	PlainEntryPoints []string
}

// RuleConfig is the configuration of one rule.
type RuleConfig struct {
	Disabled bool
	Severity Severity // empty: the rule's default
}

// DefaultConfig returns the configuration used without a policy file.
func DefaultConfig() Config { return Config{}.withDefaults() }

func (c Config) withDefaults() Config {
	if len(c.AllowedPorts) == 0 {
		c.AllowedPorts = []int{53, 80, 443}
	}
	if c.MinCount == 0 {
		c.MinCount = 2
	}
	if len(c.PlainEntryPoints) == 0 {
		c.PlainEntryPoints = []string{"web", "http"}
	}
	return c
}

func (c Config) enabled(id string) bool { return !c.Rules[id].Disabled }

func (c Config) severity(id string, def Severity) Severity {
	if s := c.Rules[id].Severity; s != "" {
		return s
	}
	return def
}

// LoadConfig reads a policy file: rule "<id>" { enabled, severity, ... }
// blocks. Errors are "file:line:col: message".
func LoadConfig(filename string, src []byte) (Config, error) {
	cfg := Config{Rules: map[string]RuleConfig{}}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return Config{}, diagError(diags)
	}
	body := file.Body.(*hclsyntax.Body)
	for _, a := range body.Attributes {
		return Config{}, posErr(a.NameRange, "unsupported attribute %q: a policy file holds rule \"<id>\" { ... } blocks", a.Name)
	}
	known := map[string]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, b := range body.Blocks {
		if b.Type != "rule" {
			return Config{}, posErr(b.TypeRange, "unsupported block %q: a policy file holds rule \"<id>\" { ... } blocks", b.Type)
		}
		if len(b.Labels) != 1 {
			return Config{}, posErr(b.TypeRange, "rule block needs one label, the rule id")
		}
		id := b.Labels[0]
		if !known[id] {
			return Config{}, posErr(b.LabelRanges[0], "unknown rule %q; known rules: %s", id, strings.Join(ruleIDs(), ", "))
		}
		if _, dup := cfg.Rules[id]; dup {
			return Config{}, posErr(b.TypeRange, "rule %q is configured twice", id)
		}
		rc, err := loadRule(&cfg, id, b.Body)
		if err != nil {
			return Config{}, err
		}
		cfg.Rules[id] = rc
	}
	return cfg, nil
}

func ruleIDs() []string {
	var ids []string
	for _, r := range Rules() {
		ids = append(ids, r.ID)
	}
	return ids
}

// loadRule reads one rule block; settings of the rule go into cfg.
func loadRule(cfg *Config, id string, body *hclsyntax.Body) (RuleConfig, error) {
	var rc RuleConfig
	if len(body.Blocks) > 0 {
		return rc, posErr(body.Blocks[0].TypeRange, "unsupported block %q in rule %q", body.Blocks[0].Type, id)
	}
	settings := map[string]string{
		"allowed_ports":     RuleDynamicPorts,
		"min_count":         RuleHACount,
		"plain_entrypoints": RuleTraefikTags,
	}
	for name, a := range body.Attributes {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return rc, diagError(diags)
		}
		if owner, ok := settings[name]; ok && owner != id {
			return rc, posErr(a.NameRange, "%s is a setting of rule %q, not %q", name, owner, id)
		}
		var err error
		switch name {
		case "enabled":
			var on bool
			on, err = toBool(v)
			rc.Disabled = !on
		case "severity":
			var s string
			s, err = toString(v)
			rc.Severity = Severity(s)
			if err == nil && (!rc.Severity.Valid() || rc.Severity == SeverityInfo) {
				err = fmt.Errorf("severity %q is not error or warning", s)
			}
		case "allowed_ports":
			cfg.AllowedPorts, err = toInts(v)
		case "min_count":
			var n []int
			n, err = toInts(cty.TupleVal([]cty.Value{v}))
			if err == nil {
				cfg.MinCount = n[0]
			}
		case "plain_entrypoints":
			cfg.PlainEntryPoints, err = toStrings(v)
		default:
			return rc, posErr(a.NameRange, "unsupported attribute %q in rule %q", name, id)
		}
		if err != nil {
			return rc, posErr(a.Expr.Range(), "%s: %v", name, err)
		}
	}
	return rc, nil
}

func toBool(v cty.Value) (bool, error) {
	b, err := convert.Convert(v, cty.Bool)
	if err != nil || b.IsNull() {
		return false, fmt.Errorf("want true or false")
	}
	return b.True(), nil
}

func toString(v cty.Value) (string, error) {
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() {
		return "", fmt.Errorf("want a string")
	}
	return s.AsString(), nil
}

func toStrings(v cty.Value) ([]string, error) {
	l, err := convert.Convert(v, cty.List(cty.String))
	if err != nil || l.IsNull() {
		return nil, fmt.Errorf("want a list of strings")
	}
	var out []string
	for _, e := range l.AsValueSlice() {
		if e.IsNull() {
			return nil, fmt.Errorf("want a list of strings")
		}
		out = append(out, e.AsString())
	}
	return out, nil
}

func toInts(v cty.Value) ([]int, error) {
	l, err := convert.Convert(v, cty.List(cty.Number))
	if err != nil || l.IsNull() {
		return nil, fmt.Errorf("want whole numbers")
	}
	var out []int
	for _, e := range l.AsValueSlice() {
		if e.IsNull() {
			return nil, fmt.Errorf("want whole numbers")
		}
		i, acc := e.AsBigFloat().Int64()
		if acc != big.Exact || i < 0 || i > 65535 {
			return nil, fmt.Errorf("want whole numbers in 0..65535")
		}
		out = append(out, int(i))
	}
	return out, nil
}

func posErr(r hcl.Range, format string, args ...any) error {
	return fmt.Errorf("%s:%d:%d: %s", r.Filename, r.Start.Line, r.Start.Column, fmt.Sprintf(format, args...))
}

func diagError(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Subject != nil {
			return posErr(*d.Subject, "%s: %s", d.Summary, d.Detail)
		}
	}
	return fmt.Errorf("policy file: %s", diags.Error())
}
