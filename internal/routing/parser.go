package routing

import (
	"strings"
)

// maxDepth bounds the nesting of parentheses and "!" so a hostile rule
// cannot exhaust the stack.
const maxDepth = 64

// Rule is a parsed, compiled Traefik v3 rule. It is immutable and safe for
// concurrent use.
type Rule struct {
	text string
	root expr
}

// ParseRule parses and compiles a Traefik v3 rule such as
// "Host(`example.com`) && PathPrefix(`/api`)". Errors are *ParseError
// values naming the problem and its column, and wrap ErrInvalidRule.
//
// Precedence, from tightest: "!", then "&&", then "||"; both binary
// operators are left-associative. Matcher names are accepted as written in
// Traefik's documentation or all in lower case, as Traefik does.
func ParseRule(rule string) (*Rule, error) {
	if strings.TrimSpace(rule) == "" {
		return nil, errorAt(rule, 0, "empty rule")
	}
	toks, err := lex(rule)
	if err != nil {
		return nil, err
	}
	p := &parser{rule: rule, toks: toks}
	root, err := p.parseOr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t, `"&&", "||" or end of rule`)
	}
	return &Rule{text: rule, root: root}, nil
}

// String returns the rule as it was written.
func (r *Rule) String() string { return r.text }

// Canonical returns the rule fully parenthesized with backtick-quoted
// arguments, which shows how it was parsed.
func (r *Rule) Canonical() string {
	var b strings.Builder
	r.root.format(&b)
	return b.String()
}

type parser struct {
	rule string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) unexpected(t token, want string) error {
	return errorAt(p.rule, t.pos, "expected %s, found %s", want, t.describe())
}

func (p *parser) expect(kind tokenKind) (token, error) {
	t := p.next()
	if t.kind != kind {
		return t, p.unexpected(t, kind.String())
	}
	return t, nil
}

// parseOr: and { "||" and }
func (p *parser) parseOr(depth int) (expr, error) {
	left, err := p.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokOr {
		p.next()
		right, err := p.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		left = &orExpr{left, right}
	}
	return left, nil
}

// parseAnd: unary { "&&" unary }
func (p *parser) parseAnd(depth int) (expr, error) {
	left, err := p.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for p.peek().kind == tokAnd {
		p.next()
		right, err := p.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		left = &andExpr{left, right}
	}
	return left, nil
}

// parseUnary: "!" unary | "(" or ")" | matcher
func (p *parser) parseUnary(depth int) (expr, error) {
	t := p.peek()
	if depth >= maxDepth {
		return nil, errorAt(p.rule, t.pos, "rule nested more than %d levels deep", maxDepth)
	}
	switch t.kind {
	case tokNot:
		p.next()
		inner, err := p.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notExpr{inner}, nil
	case tokLParen:
		p.next()
		inner, err := p.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return inner, nil
	case tokIdent:
		return p.parseMatcher()
	}
	return nil, p.unexpected(t, `a matcher, "!" or "("`)
}

// parseMatcher: ident "(" [ string { "," string } ] ")"
func (p *parser) parseMatcher() (expr, error) {
	name := p.next()
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	var args []token
	if p.peek().kind != tokRParen {
		for {
			arg := p.next()
			if arg.kind != tokString {
				return nil, p.unexpected(arg, "a quoted argument")
			}
			args = append(args, arg)
			if p.peek().kind != tokComma {
				break
			}
			p.next()
		}
	}
	if _, err := p.expect(tokRParen); err != nil {
		return nil, err
	}
	return compileMatcher(p.rule, name, args)
}
