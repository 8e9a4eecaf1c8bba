package acllogin

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/filter"
)

// Bindings are the rights a login earns: the names binding rules bound.
type Bindings struct {
	Services []string // service identities
	Nodes    []string // node identities (in the login's datacenter)
	Roles    []string // existing roles, by name
	Policies []string // existing policies, by name
}

// None says whether no rule bound anything (the login is refused).
func (b Bindings) None() bool {
	return len(b.Services)+len(b.Nodes)+len(b.Roles)+len(b.Policies) == 0
}

// Bind applies a method's binding rules to an identity: each rule whose
// selector matches (an empty selector matches every identity) binds its
// BindName, interpolated with the identity's values. A bound name that is
// not valid for its bind type is an error (ErrInvalid).
func Bind(rules []*acl.BindingRule, id Identity) (Bindings, error) {
	var b Bindings
	sel := id.selectable()
	for _, r := range rules {
		e, err := filter.Parse(r.Selector)
		if err != nil {
			return Bindings{}, fmt.Errorf("%w: binding rule %s: selector: %v", ErrInvalid, r.ID, err)
		}
		if !e.Match(sel) {
			continue
		}
		name, err := Interpolate(r.BindName, id.Values)
		if err != nil {
			return Bindings{}, fmt.Errorf("binding rule %s: %w", r.ID, err)
		}
		if err := checkBindName(r.BindType, name); err != nil {
			return Bindings{}, fmt.Errorf("binding rule %s: %w", r.ID, err)
		}
		add := func(l *[]string) {
			if !slices.Contains(*l, name) {
				*l = append(*l, name)
			}
		}
		switch r.BindType {
		case acl.BindService:
			add(&b.Services)
		case acl.BindNode:
			add(&b.Nodes)
		case acl.BindRole:
			add(&b.Roles)
		case acl.BindPolicy:
			add(&b.Policies)
		}
	}
	return b, nil
}

var varRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// Interpolate replaces each ${value.<attr>} in name with the attribute's
// value; any other ${...} is an error (ErrInvalid).
func Interpolate(name string, values map[string]string) (string, error) {
	var bad error
	out := varRef.ReplaceAllStringFunc(name, func(m string) string {
		ref := strings.TrimSpace(m[2 : len(m)-1])
		attr, ok := strings.CutPrefix(ref, "value.")
		v, known := values[attr]
		if !ok || !known {
			if bad == nil {
				bad = fmt.Errorf("%w: bind name %q: unknown variable %q", ErrInvalid, name, ref)
			}
			return ""
		}
		return v
	})
	if bad != nil {
		return "", bad
	}
	return out, nil
}

var (
	serviceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9\-_]*[a-z0-9])?$`)
	nodeName    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9\-_.]*[A-Za-z0-9])?$`)
	objectName  = regexp.MustCompile(`^[A-Za-z0-9\-_/]{1,256}$`)
)

func checkBindName(bindType, name string) error {
	var ok bool
	switch bindType {
	case acl.BindService:
		ok = len(name) <= 256 && serviceName.MatchString(name)
	case acl.BindNode:
		ok = len(name) <= 256 && nodeName.MatchString(name)
	case acl.BindRole, acl.BindPolicy:
		ok = objectName.MatchString(name)
	default:
		return fmt.Errorf("%w: Invalid Binding Rule: unknown BindType %q", ErrInvalid, bindType)
	}
	if !ok {
		return fmt.Errorf("%w: Invalid Binding Rule: BindName %q is not a valid %s name", ErrInvalid, name, bindType)
	}
	return nil
}

// ValidateBindingRule checks a binding rule against its method's
// configuration: a known bind type, a selector that parses, and a bind
// name that yields a valid name when every mapped value is a placeholder
// ("x") — so a typo in ${value.x} is refused when the rule is written,
// not at login.
func ValidateBindingRule(r *acl.BindingRule, cfg *JWTConfig) error {
	if r.AuthMethod == "" {
		return fmt.Errorf("%w: Invalid Binding Rule: no auth method name provided", ErrInvalid)
	}
	if r.BindName == "" {
		return fmt.Errorf("%w: Invalid Binding Rule: no BindName is set", ErrInvalid)
	}
	if _, err := filter.Parse(r.Selector); err != nil {
		return fmt.Errorf("%w: Invalid Binding Rule: invalid Selector: %v", ErrInvalid, err)
	}
	values := map[string]string{}
	for _, attr := range cfg.ClaimMappings {
		values[attr] = "x"
	}
	name, err := Interpolate(r.BindName, values)
	if err != nil {
		return fmt.Errorf("%w: Invalid Binding Rule: %v", ErrInvalid, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	}
	return checkBindName(r.BindType, name)
}
