package filter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// node is one node of a compiled expression.
type node interface {
	eval(v any) bool
	// canonical renders the node fully parenthesised with quoted values;
	// parsing the rendering yields the same tree.
	canonical() string
}

type orNode struct{ left, right node }

func (n *orNode) eval(v any) bool { return n.left.eval(v) || n.right.eval(v) }
func (n *orNode) canonical() string {
	return "(" + n.left.canonical() + " or " + n.right.canonical() + ")"
}

type andNode struct{ left, right node }

func (n *andNode) eval(v any) bool { return n.left.eval(v) && n.right.eval(v) }
func (n *andNode) canonical() string {
	return "(" + n.left.canonical() + " and " + n.right.canonical() + ")"
}

type notNode struct{ operand node }

func (n *notNode) eval(v any) bool   { return !n.operand.eval(v) }
func (n *notNode) canonical() string { return "(not " + n.operand.canonical() + ")" }

// operator is a positive matching operator; matchNode.negated inverts it.
type operator int

const (
	opEqual   operator = iota // Selector == Value
	opIn                      // Value in Selector, Selector contains Value
	opMatches                 // Selector matches Value
	opEmpty                   // Selector is empty
)

// value is a value operand: its text, and its readings as a number and a
// boolean where it has them.
type value struct {
	raw     string
	pos     int
	num     float64
	isNum   bool
	boolean bool
	isBool  bool
}

// matchNode is one matching expression.
type matchNode struct {
	op      operator
	negated bool
	path    []segment
	value   value
	re      *regexp.Regexp // for opMatches
}

// eval applies the positive operator to what the path selects, then
// inverts the result for the negated forms, as bexpr does: through a slice
// `Checks.Status != "passing"` holds when no check is passing.
func (n *matchNode) eval(v any) bool {
	return n.walk(v, n.path) != n.negated
}

// walk follows path through v. A segment applied to a slice of objects is
// applied to every element and matches when any element matches; a numeric
// segment applied to a slice indexes it instead. A path that leads nowhere
// selects nothing, which only "is empty" matches.
func (n *matchNode) walk(v any, path []segment) bool {
	if len(path) == 0 {
		return n.leaf(v)
	}
	switch x := v.(type) {
	case map[string]any:
		child, ok := x[path[0].name]
		if !ok {
			return n.leaf(nil)
		}
		return n.walk(child, path[1:])
	case []any:
		if i, ok := sliceIndex(path[0].name); ok {
			if i >= len(x) {
				return n.leaf(nil)
			}
			return n.walk(x[i], path[1:])
		}
		if len(x) == 0 {
			return n.leaf(nil)
		}
		for _, e := range x {
			if n.walk(e, path) {
				return true
			}
		}
		return false
	}
	return n.leaf(nil)
}

// sliceIndex reads a segment written in digits as a slice index.
func sliceIndex(name string) (int, bool) {
	if name == "" || len(name) > 9 {
		return 0, false
	}
	i := 0
	for j := 0; j < len(name); j++ {
		if !isDigit(name[j]) {
			return 0, false
		}
		i = i*10 + int(name[j]-'0')
	}
	return i, true
}

// leaf applies the positive operator to a selected value.
func (n *matchNode) leaf(v any) bool {
	switch n.op {
	case opEqual:
		return n.value.equals(v)
	case opIn:
		switch x := v.(type) {
		case string:
			return strings.Contains(x, n.value.raw)
		case map[string]any:
			_, ok := x[n.value.raw]
			return ok
		case []any:
			for _, e := range x {
				if n.value.equals(e) {
					return true
				}
			}
		}
		return false
	case opMatches:
		s, ok := v.(string)
		return ok && n.re.MatchString(s)
	case opEmpty:
		switch x := v.(type) {
		case nil:
			return true
		case string:
			return x == ""
		case map[string]any:
			return len(x) == 0
		case []any:
			return len(x) == 0
		}
	}
	return false
}

// equals compares the value with a scalar, coercing the value to the
// scalar's type as bexpr coerces it to a field's type.
func (val value) equals(v any) bool {
	switch x := v.(type) {
	case string:
		return x == val.raw
	case float64:
		return val.isNum && x == val.num
	case bool:
		return val.isBool && x == val.boolean
	}
	return false
}

func (n *matchNode) canonical() string {
	sel := renderPath(n.path)
	val := strconv.Quote(n.value.raw)
	not := ""
	if n.negated {
		not = "not "
	}
	switch n.op {
	case opEqual:
		if n.negated {
			return "(" + sel + " != " + val + ")"
		}
		return "(" + sel + " == " + val + ")"
	case opIn:
		return "(" + val + " " + not + "in " + sel + ")"
	case opMatches:
		return "(" + sel + " " + not + "matches " + val + ")"
	default:
		return "(" + sel + " is " + not + "empty)"
	}
}

// renderPath writes a selector path in the form Parse reads back.
func renderPath(path []segment) string {
	var b strings.Builder
	for i, s := range path {
		switch {
		case i == 0:
			b.WriteString(s.name)
		case s.bracket:
			b.WriteString("[" + strconv.Quote(s.name) + "]")
		default:
			b.WriteString("." + s.name)
		}
	}
	return b.String()
}

// Match reports whether v satisfies the expression. v is a value shaped as
// encoding/json decodes into any: map[string]any, []any, string, float64,
// bool or nil. A nil *Expr matches everything.
func (e *Expr) Match(v any) bool {
	if e == nil {
		return true
	}
	return e.root.eval(v)
}

// Filter keeps the items that match e, in order. Each item is marshaled to
// JSON once and decoded into any, so selectors name the JSON field names
// the API returns. A nil e returns items unchanged.
func Filter[T any](e *Expr, items []T) ([]T, error) {
	if e == nil {
		return items, nil
	}
	kept := make([]T, 0, len(items))
	for i, item := range items {
		raw, err := json.Marshal(item)
		if err != nil {
			return nil, fmt.Errorf("filter: encode item %d: %w", i, err)
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("filter: decode item %d: %w", i, err)
		}
		if e.root.eval(v) {
			kept = append(kept, item)
		}
	}
	return kept, nil
}
