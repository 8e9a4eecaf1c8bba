package filter

import (
	"errors"
	"strings"
	"testing"
)

// TestParseCanonical checks the tree Parse builds, rendered fully
// parenthesised: precedence, associativity, operators, quoting and
// selector forms.
func TestParseCanonical(t *testing.T) {
	cases := []struct{ in, want string }{
		// Every operator.
		{`Service.Service == "web"`, `(Service.Service == "web")`},
		{`Service.Service != "web"`, `(Service.Service != "web")`},
		{`"v1" in Service.Tags`, `("v1" in Service.Tags)`},
		{`"v1" not in Service.Tags`, `("v1" not in Service.Tags)`},
		{`Service.Tags contains "v1"`, `("v1" in Service.Tags)`},
		{`Service.Tags not contains "v1"`, `("v1" not in Service.Tags)`},
		{`Service.Tags is empty`, `(Service.Tags is empty)`},
		{`Service.Tags is not empty`, `(Service.Tags is not empty)`},
		{`Node.Node matches "^n[0-9]+$"`, `(Node.Node matches "^n[0-9]+$")`},
		{`Node.Node not matches "^n"`, `(Node.Node not matches "^n")`},
		// Precedence: not > and > or; and/or are left-associative.
		{`a == 1 or b == 2 and c == 3`, `((a == "1") or ((b == "2") and (c == "3")))`},
		{`a == 1 and b == 2 or c == 3`, `(((a == "1") and (b == "2")) or (c == "3"))`},
		{`not a == 1 and b == 2`, `((not (a == "1")) and (b == "2"))`},
		{`not a == 1 or not b == 2`, `((not (a == "1")) or (not (b == "2")))`},
		{`a == 1 and not b == 2 or c == 3`, `(((a == "1") and (not (b == "2"))) or (c == "3"))`},
		{`a == 1 or b == 2 or c == 3`, `(((a == "1") or (b == "2")) or (c == "3"))`},
		{`a == 1 and b == 2 and c == 3`, `(((a == "1") and (b == "2")) and (c == "3"))`},
		{`not not a == 1`, `(not (not (a == "1")))`},
		// Parentheses override precedence.
		{`(a == 1 or b == 2) and c == 3`, `(((a == "1") or (b == "2")) and (c == "3"))`},
		{`not (a == 1 or b == 2)`, `(not ((a == "1") or (b == "2")))`},
		{`((a == 1))`, `(a == "1")`},
		{`(a == 1)and(b == 2)`, `((a == "1") and (b == "2"))`},
		{`not(a == 1)`, `(not (a == "1"))`},
		// Values: double quotes with Go escapes, backticks raw, bare words,
		// numbers, booleans.
		{`a == "say \"hi\"\n\t\u00e9"`, `(a == "say \"hi\"\n\té")`},
		{"a == `C:\\path \"x\"`", `(a == "C:\\path \"x\"")`},
		{`a == ""`, `(a == "")`},
		{"a == ``", `(a == "")`},
		{`a == web`, `(a == "web")`},
		{`a == v1.2.3`, `(a == "v1.2.3")`},
		{`a == true`, `(a == "true")`},
		{`a == -12.5`, `(a == "-12.5")`},
		{`a == 0`, `(a == "0")`},
		{`7 in a`, `("7" in a)`},
		{`a in b`, `("a" in b)`},
		{`primary in Service.Tags`, `("primary" in Service.Tags)`},
		{`a == "ünïcödé"`, `(a == "ünïcödé")`},
		// Selectors: dotted, indexed, bracketed keys with either quote,
		// identifiers with _ and /, keywords past the first segment.
		{`Service.Meta.env == prod`, `(Service.Meta.env == "prod")`},
		{`Node.Meta["key with space"] == x`, `(Node.Meta["key with space"] == "x")`},
		{`Node.Meta[ "k" ] == x`, `(Node.Meta["k"] == "x")`},
		{"Node.Meta[`k.1`] == x", `(Node.Meta["k.1"] == "x")`},
		{`Checks.0.Status == passing`, `(Checks.0.Status == "passing")`},
		{`Meta.my_key/sub == x`, `(Meta.my_key/sub == "x")`},
		{`Service.Meta.in == x`, `(Service.Meta.in == "x")`},
		{`Meta["a"]["b"].c == x`, `(Meta["a"]["b"].c == "x")`},
		// Whitespace is free around operators and parentheses.
		{"  a==\"x\"\n\tand\r\nb!=y  ", `((a == "x") and (b != "y"))`},
		{`a=="x"`, `(a == "x")`},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got := e.root.canonical(); got != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.in, got, c.want)
		}
		if e.String() != c.in {
			t.Errorf("String() = %q, want the source %q", e.String(), c.in)
		}
		// The rendering reads back to itself.
		again, err := Parse(c.want)
		if err != nil {
			t.Errorf("Parse(canonical %q): %v", c.want, err)
		} else if got := again.root.canonical(); got != c.want {
			t.Errorf("canonical of %q is not stable: %s", c.want, got)
		}
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "   ", "\n\t"} {
		e, err := Parse(in)
		if err != nil || e != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", in, e, err)
		}
		if !e.Match(map[string]any{}) {
			t.Errorf("nil *Expr must match everything")
		}
	}
}

// TestParseErrors checks that malformed expressions are rejected with the
// column of the problem and a message naming it.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		col  int
		want string
	}{
		{`a == "x`, 6, "unterminated string literal"},
		{"a == `x", 6, "unterminated string literal"},
		{`a == "x\"`, 6, "unterminated string literal"},
		{`a == "\q"`, 6, "invalid string literal"},
		{"a == \"x\ny\"", 6, "invalid string literal"},
		{`a === b`, 5, `unexpected '='`},
		{`a = b`, 3, `unexpected '='`},
		{`a ! b`, 3, `unexpected '!'`},
		{`a == b &&`, 8, `unexpected character '&'`},
		{`a == b; c`, 7, `unexpected character ';' after "b"`},
		{`a == web-1`, 9, `unexpected character '-' after "web"`},
		{`a == 1.2.3`, 6, `invalid number literal "1.2.3"`},
		{`a == 01`, 6, `invalid number literal "01"`},
		{`a == 1.`, 6, `invalid number literal "1."`},
		{`a == -`, 6, `invalid number literal "-"`},
		{`a == 5x`, 6, `invalid number literal "5x"`},
		{`a. == b`, 3, `expected a field name or index after "."`},
		{`a.-1 == b`, 3, `expected a field name or index after "."`},
		{`a[b] == c`, 3, `invalid index`},
		{`a["b" == c`, 2, `unclosed index expression`},
		{`a["b == c`, 3, `unterminated string literal`},
		{`["a"] == b`, 1, `unexpected "["`},
		{`_a == b`, 1, `unexpected character '_'`},
		{`(a == b`, 1, `unmatched "("`},
		{`((a == b)`, 1, `unmatched "("`},
		{`a == b)`, 7, `unmatched ")"`},
		{`()`, 2, `expected a selector or a value, found ")"`},
		{`a == b c == d`, 8, `expected "and", "or" or the end of the expression, found "c"`},
		{`(a == b c == d)`, 9, `expected "and", "or" or ")", found "c"`},
		{`a == b and`, 11, `expected a matching expression, found end of expression`},
		{`and a == b`, 1, `expected a selector or a value, found keyword "and"`},
		{`a == b or or c == d`, 11, `expected a selector or a value, found keyword "or"`},
		{`not`, 4, `expected a matching expression`},
		{`a`, 2, `expected an operator`},
		{`a b`, 3, `expected an operator (==, !=, in, contains, matches, is empty) after "a", found "b"`},
		{`a ==`, 5, `expected a value after "=="`},
		{`a == (b)`, 6, `expected a value after "==", found "("`},
		{`a == and`, 6, `expected a value after "==", found keyword "and"`},
		{`"x" == a`, 1, `expected a selector before "==", found string "x"`},
		{`5 contains a`, 1, `expected a selector before keyword "contains", found number 5`},
		{`"x" is empty`, 1, `expected a selector before "is"`},
		{`a is`, 5, `expected "empty" after "is"`},
		{`a is not`, 9, `expected "empty" after "is"`},
		{`a is full`, 6, `expected "empty" after "is", found "full"`},
		{`"x" in "y"`, 8, `expected a selector after "in", found string "y"`},
		{`"x" in`, 7, `expected a selector after "in", found end of expression`},
		{`"x" not`, 8, `expected "in", "contains" or "matches" after "not"`},
		{`a not == b`, 7, `expected "in", "contains" or "matches" after "not", found "=="`},
		{`a matches "("`, 11, `invalid regular expression "("`},
		{`a not matches "[a-"`, 15, `invalid regular expression`},
		{`é == x`, 1, `unexpected character 'é'`},
		{`a == "é" and é`, 14, `unexpected character 'é'`},
		{strings.Repeat("(", 100) + "a == b" + strings.Repeat(")", 100), 65, "nested more than 64 levels"},
		{strings.Repeat("not ", 100) + "a == b", 257, "nested more than 64 levels"},
	}
	for _, c := range cases {
		e, err := Parse(c.in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want an error", c.in, e.root.canonical())
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): %v does not wrap ErrInvalid", c.in, err)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): %T is not a *SyntaxError", c.in, err)
			continue
		}
		if se.Column != c.col || !strings.Contains(se.Msg, c.want) {
			t.Errorf("Parse(%q)\n got column %d: %s\nwant column %d: ...%s...", c.in, se.Column, se.Msg, c.col, c.want)
		}
	}
}
