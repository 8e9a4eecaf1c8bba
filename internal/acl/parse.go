package acl

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// segmented are Consul's rule kinds with an exact and a *_prefix form.
var segmented = []string{Agent, Event, Key, Node, Query, Service, Session}

// globals are rule kinds without a segment, written `acl = "write"`.
var globals = []string{ACL, Keyring, Mesh, Operator, Peering}

// labelled says whether name takes one label in block form.
func labelled(name string) bool {
	base := strings.TrimSuffix(name, "_prefix")
	return slices.Contains(segmented, base) || name == Namespace || name == HostVolume
}

// unlabelledBlock says whether name has Nomad's unlabelled block form
// `node { policy = "read" }`.
func unlabelledBlock(name string) bool {
	return name == Node || name == Agent || name == Operator || name == Quota || name == Plugin
}

// Parse reads one policy document, HCL or JSON (a document whose first
// non-blank character is "{" is JSON), named file in error positions. It
// accepts Consul's rules and Nomad's in the same document. On failure the
// error is ParseErrors, every problem as "file:line:col: message", and
// errors.Is(err, ErrInvalidRules) holds.
func Parse(file, src string) (*Rules, error) {
	r := &reader{file: file}
	var items []item
	if isJSON([]byte(src)) {
		items = r.readJSON([]byte(src))
	} else {
		items = r.readNative([]byte(src))
	}
	out := &Rules{}
	if len(r.errs) == 0 {
		for _, it := range items {
			r.decode(out, it)
		}
	}
	if len(r.errs) > 0 {
		return nil, r.errs
	}
	return out, nil
}

func (r *reader) decode(out *Rules, it item) {
	base := strings.TrimSuffix(it.name, "_prefix")
	isPrefix := base != it.name
	switch {
	case it.block && len(it.labels) == 1 && slices.Contains(segmented, base):
		r.decodeSegmented(out, it, base, isPrefix)
	case it.block && len(it.labels) == 0 && unlabelledBlock(it.name):
		r.decodeNomadBlock(out, it)
	case it.block && len(it.labels) == 1 && (it.name == Namespace || it.name == HostVolume):
		r.decodeCapabilities(out, it)
	case !it.block && slices.Contains(globals, it.name):
		if d, ok := r.disposition(it.value, PolicyRead, PolicyWrite, PolicyDeny); ok {
			out.Grants = append(out.Grants, Grant{Resource: it.name, Prefix: true, Policy: d, Pos: it.pos})
		}
	case it.block && labelled(it.name):
		r.errorf(it.pos, fmt.Sprintf("%s rule needs exactly one label, the name it applies to", it.name))
	case !it.block && (labelled(it.name) || unlabelledBlock(it.name)):
		r.errorf(it.pos, fmt.Sprintf("%s rule must be a block", it.name))
	case it.block && slices.Contains(globals, it.name):
		r.errorf(it.pos, fmt.Sprintf("%s rule must be an attribute: %s = \"read\"", it.name, it.name))
	default:
		r.errorf(it.pos, fmt.Sprintf("unknown rule %q", it.name))
	}
}

// decodeSegmented reads `service "web" { policy = "read" intentions = "read" }`.
func (r *reader) decodeSegmented(out *Rules, it item, base string, isPrefix bool) {
	g := Grant{Resource: base, Segment: it.labels[0], Prefix: isPrefix, Pos: it.pos}
	allowed := []Disposition{PolicyRead, PolicyWrite, PolicyDeny}
	if base == Key {
		allowed = append(allowed, PolicyList)
	}
	seen := false
	for _, a := range it.body {
		switch {
		case a.name == "policy" && !a.block:
			seen = true
			if d, ok := r.disposition(a.value, allowed...); ok {
				g.Policy = d
			} else {
				return
			}
		case a.name == "intentions" && !a.block && base == Service:
			if d, ok := r.disposition(a.value, PolicyRead, PolicyWrite, PolicyDeny); ok {
				g.Intentions = d
			} else {
				return
			}
		default:
			r.errorf(a.pos, fmt.Sprintf("unknown field %q in %s rule", a.name, it.name))
			return
		}
	}
	if !seen && g.Intentions == "" {
		r.errorf(it.pos, fmt.Sprintf("%s %q: missing policy", it.name, g.Segment))
		return
	}
	out.Grants = append(out.Grants, g)
}

// decodeNomadBlock reads Nomad's `node { policy = "read" }` (and agent,
// operator, quota, plugin). node and agent cover every node, as
// node_prefix "" and agent_prefix "" do; operator is Consul's operator.
func (r *reader) decodeNomadBlock(out *Rules, it item) {
	allowed := []Disposition{PolicyRead, PolicyWrite, PolicyDeny}
	if it.name == Plugin {
		allowed = append(allowed, PolicyList)
	}
	var g *Grant
	for _, a := range it.body {
		if a.name != "policy" || a.block {
			r.errorf(a.pos, fmt.Sprintf("unknown field %q in %s rule", a.name, it.name))
			return
		}
		d, ok := r.disposition(a.value, allowed...)
		if !ok {
			return
		}
		g = &Grant{Resource: it.name, Prefix: true, Policy: d, Pos: it.pos}
	}
	if g == nil {
		r.errorf(it.pos, fmt.Sprintf("%s: missing policy", it.name))
		return
	}
	out.Grants = append(out.Grants, *g)
}

var (
	validNamespace  = regexp.MustCompile(`^[a-zA-Z0-9*-]{1,128}$`)
	validHostVolume = regexp.MustCompile(`^[a-zA-Z0-9*_-]{1,128}$`)
)

// decodeCapabilities reads `namespace "x" { policy = "write" capabilities = [...] }`
// and host_volume's equivalent.
func (r *reader) decodeCapabilities(out *Rules, it item) {
	g := CapabilityGrant{Name: it.labels[0], Pos: it.pos}
	valid, policies, caps := validNamespace, []Disposition{PolicyRead, PolicyWrite, PolicyDeny, PolicyScale}, namespaceCapabilities
	if it.name == HostVolume {
		valid, policies, caps = validHostVolume, []Disposition{PolicyRead, PolicyWrite, PolicyDeny}, hostVolumeCapabilities
	}
	if !valid.MatchString(g.Name) {
		r.errorf(it.pos, fmt.Sprintf("invalid %s name %q", it.name, g.Name))
		return
	}
	for _, a := range it.body {
		switch {
		case a.name == "policy" && !a.block:
			d, ok := r.disposition(a.value, policies...)
			if !ok {
				return
			}
			g.Policy = d
		case a.name == "capabilities" && !a.block:
			if a.value == nil {
				return
			}
			if !a.value.isList {
				r.errorf(a.value.pos, "capabilities must be a list of strings")
				return
			}
			for _, c := range a.value.list {
				if !slices.Contains(caps, c) {
					r.errorf(a.value.pos, fmt.Sprintf("unknown %s capability %q", it.name, c))
					return
				}
			}
			g.Capabilities = a.value.list
		default:
			r.errorf(a.pos, fmt.Sprintf("unknown field %q in %s rule (not supported)", a.name, it.name))
			return
		}
	}
	if g.Policy == "" && len(g.Capabilities) == 0 {
		r.errorf(it.pos, fmt.Sprintf("%s %q: missing policy or capabilities", it.name, g.Name))
		return
	}
	if it.name == HostVolume {
		out.HostVolumes = append(out.HostVolumes, g)
	} else {
		out.Namespaces = append(out.Namespaces, g)
	}
}

// disposition checks a policy value against the allowed ones.
func (r *reader) disposition(v *value, allowed ...Disposition) (Disposition, bool) {
	if v == nil {
		return "", false // already reported
	}
	if v.isList {
		r.errorf(v.pos, "policy must be a string")
		return "", false
	}
	d := Disposition(v.str)
	if slices.Contains(allowed, d) {
		return d, true
	}
	switch d {
	case PolicyList, PolicyScale, PolicyRead, PolicyWrite, PolicyDeny:
		r.errorf(v.pos, fmt.Sprintf("policy %q is not valid here (want %s)", v.str, join(allowed)))
	default:
		r.errorf(v.pos, fmt.Sprintf("unknown policy %q", v.str))
	}
	return "", false
}

func join(ds []Disposition) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d)
	}
	return strings.Join(s, ", ")
}
