package filter

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// ErrInvalid is wrapped by every error Parse returns; the API maps it to
// 400 Bad Request.
var ErrInvalid = errors.New("invalid filter expression")

// SyntaxError is a problem in a filter expression, at a 1-based column
// counted in characters from the start of the expression.
type SyntaxError struct {
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid filter expression at column %d: %s", e.Column, e.Msg)
}

// Is makes errors.Is(err, ErrInvalid) hold for every SyntaxError.
func (e *SyntaxError) Is(target error) bool { return target == ErrInvalid }

// maxDepth bounds the nesting of parentheses and "not", so a hostile
// expression cannot exhaust the stack.
const maxDepth = 64

// Expr is a compiled filter expression. It is immutable and safe for
// concurrent use. A nil *Expr matches everything.
type Expr struct {
	src  string
	root node
}

// String returns the expression as it was written.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

// Parse compiles a filter expression. An expression that is empty or only
// whitespace yields a nil *Expr and no error: no filter, everything matches.
// Every error wraps ErrInvalid and names the column of the problem.
func Parse(expr string) (*Expr, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	p := &parser{lex: lexer{src: expr}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		if p.tok.kind == tokRParen {
			return nil, p.errHere(`unmatched ")"`)
		}
		return nil, p.errHere("expected \"and\", \"or\" or the end of the expression, found %s", p.tok.describe())
	}
	return &Expr{src: expr, root: root}, nil
}

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	lex lexer
	tok token
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// peek returns the token after the current one without consuming it.
func (p *parser) peek() (token, error) {
	saved := p.lex
	t, err := p.lex.next()
	p.lex = saved
	return t, err
}

func (p *parser) errHere(format string, args ...any) error {
	return errAt(p.lex.src, p.tok.pos, format, args...)
}

func (p *parser) isKeyword(word string) bool {
	return p.tok.kind == tokKeyword && p.tok.text == word
}

// or parses: and ("or" and)*.
func (p *parser) or(depth int) (node, error) {
	left, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("or") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		left = &orNode{left: left, right: right}
	}
	return left, nil
}

// and parses: unary ("and" unary)*.
func (p *parser) and(depth int) (node, error) {
	left, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for p.isKeyword("and") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		right, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		left = &andNode{left: left, right: right}
	}
	return left, nil
}

// unary parses: "not" unary | "(" or ")" | match.
func (p *parser) unary(depth int) (node, error) {
	if depth >= maxDepth {
		return nil, p.errHere("expression nested more than %d levels deep", maxDepth)
	}
	switch {
	case p.isKeyword("not"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		operand, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notNode{operand: operand}, nil
	case p.tok.kind == tokLParen:
		open := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		inner, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			if p.tok.kind == tokEOF {
				return nil, errAt(p.lex.src, open.pos, `unmatched "(": expected ")" before the end of the expression`)
			}
			return nil, p.errHere("expected \"and\", \"or\" or \")\", found %s", p.tok.describe())
		}
		return inner, p.advance()
	}
	return p.match()
}

// match parses one matching expression:
//
//	Selector ("==" | "!=") Value
//	Selector ["not"] ("contains" | "matches") Value
//	Selector "is" ["not"] "empty"
//	Value ["not"] "in" Selector
func (p *parser) match() (node, error) {
	first := p.tok
	switch first.kind {
	case tokWord, tokString, tokNumber:
	case tokEOF:
		return nil, p.errHere("expected a matching expression, found end of expression")
	default:
		return nil, p.errHere("expected a selector or a value, found %s", first.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	op := p.tok
	switch op.kind {
	case tokEq, tokNe:
		return p.selectorOpValue(first, opEqual, op.kind == tokNe)
	case tokKeyword:
	default:
		return nil, p.errHere("expected an operator (==, !=, in, contains, matches, is empty) after %s, found %s", first.describe(), op.describe())
	}
	negated := false
	if op.text == "not" {
		next, err := p.peek()
		if err != nil {
			return nil, err
		}
		if next.kind != tokKeyword || (next.text != "in" && next.text != "contains" && next.text != "matches") {
			return nil, errAt(p.lex.src, next.pos, "expected \"in\", \"contains\" or \"matches\" after \"not\", found %s", next.describe())
		}
		negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		op = p.tok
	}
	switch op.text {
	case "contains":
		return p.selectorOpValue(first, opIn, negated)
	case "matches":
		return p.selectorOpValue(first, opMatches, negated)
	case "in":
		return p.valueInSelector(first, negated)
	case "is":
		return p.isEmpty(first)
	}
	return nil, p.errHere("expected an operator (==, !=, in, contains, matches, is empty) after %s, found %s", first.describe(), op.describe())
}

// selectorOpValue finishes `Selector op Value`; p.tok is the operator.
func (p *parser) selectorOpValue(sel token, op operator, negated bool) (node, error) {
	opTok := p.tok
	if sel.kind != tokWord {
		return nil, errAt(p.lex.src, sel.pos, "expected a selector before %s, found %s (a value goes on the left only with \"in\")", opTok.describe(), sel.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	val, err := p.value(opTok)
	if err != nil {
		return nil, err
	}
	m := &matchNode{op: op, negated: negated, path: sel.path, value: val}
	if op == opMatches {
		re, err := regexp.Compile(val.raw)
		if err != nil {
			return nil, errAt(p.lex.src, val.pos, "invalid regular expression %q: %v", val.raw, unwrapRegexpErr(err))
		}
		m.re = re
	}
	return m, p.advance()
}

// valueInSelector finishes `Value in Selector`; p.tok is "in".
func (p *parser) valueInSelector(v token, negated bool) (node, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokWord {
		return nil, p.errHere("expected a selector after \"in\", found %s", p.tok.describe())
	}
	m := &matchNode{op: opIn, negated: negated, path: p.tok.path, value: newValue(v)}
	return m, p.advance()
}

// isEmpty finishes `Selector is [not] empty`; p.tok is "is".
func (p *parser) isEmpty(sel token) (node, error) {
	if sel.kind != tokWord {
		return nil, errAt(p.lex.src, sel.pos, "expected a selector before \"is\", found %s", sel.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	negated := false
	if p.isKeyword("not") {
		negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	if !p.isKeyword("empty") {
		return nil, p.errHere("expected \"empty\" after \"is\", found %s", p.tok.describe())
	}
	return &matchNode{op: opEmpty, negated: negated, path: sel.path}, p.advance()
}

// value reads the value operand after the operator op.
func (p *parser) value(op token) (value, error) {
	switch p.tok.kind {
	case tokString, tokNumber, tokWord:
		return newValue(p.tok), nil
	}
	return value{}, p.errHere("expected a value after %s, found %s", op.describe(), p.tok.describe())
}

// newValue keeps a value operand's text and its readings as a number and
// as a boolean, which equality uses when the selected JSON value is one.
func newValue(t token) value {
	v := value{raw: t.text, pos: t.pos}
	if f, err := strconv.ParseFloat(v.raw, 64); err == nil {
		v.num, v.isNum = f, true
	}
	if b, err := strconv.ParseBool(v.raw); err == nil {
		v.boolean, v.isBool = b, true
	}
	return v
}

// unwrapRegexpErr drops the "error parsing regexp: " prefix that
// regexp.Compile puts before the real problem.
func unwrapRegexpErr(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return se.Code.String() + ": `" + se.Expr + "`"
	}
	return err.Error()
}
