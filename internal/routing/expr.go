package routing

import (
	"strings"
)

// expr is a node of a rule's syntax tree. Nodes are immutable after
// compilation.
type expr interface {
	// eval reports whether the request matches the node.
	eval(r *reqView) bool
	// format writes the canonical form of the node.
	format(b *strings.Builder)
	// hosts appends the literal Host names reachable without negation.
	hosts(dst []string, negated bool) []string
}

type andExpr struct{ left, right expr }
type orExpr struct{ left, right expr }
type notExpr struct{ inner expr }

func (e *andExpr) eval(r *reqView) bool { return e.left.eval(r) && e.right.eval(r) }
func (e *orExpr) eval(r *reqView) bool  { return e.left.eval(r) || e.right.eval(r) }
func (e *notExpr) eval(r *reqView) bool { return !e.inner.eval(r) }

func (e *andExpr) format(b *strings.Builder) { formatBinary(b, e.left, " && ", e.right) }
func (e *orExpr) format(b *strings.Builder)  { formatBinary(b, e.left, " || ", e.right) }
func (e *notExpr) format(b *strings.Builder) {
	b.WriteString("!")
	e.inner.format(b)
}

func formatBinary(b *strings.Builder, left expr, op string, right expr) {
	b.WriteString("(")
	left.format(b)
	b.WriteString(op)
	right.format(b)
	b.WriteString(")")
}

func (e *andExpr) hosts(dst []string, negated bool) []string {
	return e.right.hosts(e.left.hosts(dst, negated), negated)
}

func (e *orExpr) hosts(dst []string, negated bool) []string {
	return e.right.hosts(e.left.hosts(dst, negated), negated)
}

func (e *notExpr) hosts(dst []string, negated bool) []string {
	return e.inner.hosts(dst, !negated)
}

// Hosts returns the literal host names of the rule's Host matchers, in
// lower case, without duplicates, in the order they appear. Hosts under an
// odd number of "!" are left out: "!Host(`a`)" does not serve a. DNS uses
// this to publish router host names.
func (r *Rule) Hosts() []string {
	all := r.root.hosts(nil, false)
	out := make([]string, 0, len(all))
	seen := make(map[string]bool, len(all))
	for _, h := range all {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}
