package acl

import (
	"errors"
	"fmt"
	"strings"
)

// Disposition is what a rule grants: Consul's "policy disposition"
// (read, list, write, deny) or Nomad's namespace "scale".
type Disposition string

// Dispositions, as Consul's and Nomad's rule languages spell them.
const (
	PolicyDeny  Disposition = "deny"
	PolicyRead  Disposition = "read"
	PolicyList  Disposition = "list"  // key and key_prefix rules only
	PolicyWrite Disposition = "write" // implies read (and list for keys)
	PolicyScale Disposition = "scale" // Nomad namespace rules only
)

// rank orders dispositions for merging rules of equal specificity: deny
// beats write beats list beats read, as Consul merges policies.
func (d Disposition) rank() int {
	switch d {
	case PolicyRead:
		return 1
	case PolicyList:
		return 2
	case PolicyWrite:
		return 3
	case PolicyDeny:
		return 4
	}
	return 0
}

// merge returns the disposition that wins between two rules of equal
// specificity.
func merge(a, b Disposition) Disposition {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Pos is a position in a rules document.
type Pos struct {
	File   string
	Line   int
	Column int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Grant is one Consul-style rule: a resource kind with a segment matched
// exactly or as a prefix, or a global resource (acl, operator, keyring,
// mesh, peering, and Nomad's quota and plugin) with no segment.
type Grant struct {
	Resource string // Service, Key, Node, ACL, ... (the base name, no "_prefix")
	Segment  string
	Prefix   bool // a *_prefix rule, or a rule that covers the whole kind
	Policy   Disposition
	// Intentions is a service rule's intentions disposition ("" if unset).
	Intentions Disposition
	Pos        Pos
}

// CapabilityGrant is one Nomad rule with a (glob) label, a coarse policy and
// fine-grained capabilities: namespace "x" { ... } or host_volume "x" { ... }.
type CapabilityGrant struct {
	Name         string // may contain "*" wildcards
	Policy       Disposition
	Capabilities []string
	Pos          Pos
}

// Rules is one parsed policy document.
type Rules struct {
	Grants      []Grant
	Namespaces  []CapabilityGrant
	HostVolumes []CapabilityGrant
}

// ErrInvalidRules is matched (errors.Is) by every parse error.
var ErrInvalidRules = errors.New("invalid ACL rules")

// ParseError is one problem in a rules document, at a position.
type ParseError struct {
	Pos Pos
	Msg string
}

func (e ParseError) Error() string { return e.Pos.String() + ": " + e.Msg }

// ParseErrors is every problem found in one document, in source order.
type ParseErrors []ParseError

func (l ParseErrors) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Is makes errors.Is(err, ErrInvalidRules) true.
func (l ParseErrors) Is(target error) bool { return target == ErrInvalidRules }
