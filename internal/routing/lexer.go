package routing

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind is the kind of a lexical token of the rule language.
type tokenKind int

const (
	tokEOF    tokenKind = iota
	tokIdent            // matcher name: Host, PathPrefix, ...
	tokString           // `raw` or "quoted" argument, unquoted in token.text
	tokLParen           // (
	tokRParen           // )
	tokComma            // ,
	tokAnd              // &&
	tokOr               // ||
	tokNot              // !
)

func (k tokenKind) String() string {
	switch k {
	case tokEOF:
		return "end of rule"
	case tokIdent:
		return "matcher name"
	case tokString:
		return "string"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokComma:
		return `","`
	case tokAnd:
		return `"&&"`
	case tokOr:
		return `"||"`
	case tokNot:
		return `"!"`
	}
	return "unknown token"
}

// token is one lexical token; pos is its byte offset in the rule.
type token struct {
	kind tokenKind
	text string
	pos  int
}

// describe renders the token for an error message ("found ...").
func (t token) describe() string {
	switch t.kind {
	case tokIdent:
		return fmt.Sprintf("%q", t.text)
	case tokString:
		return fmt.Sprintf("string %q", t.text)
	}
	return t.kind.String()
}

// lex splits a rule into tokens. Whitespace separates tokens and is
// otherwise ignored. It fails on the first character that cannot start a
// token, or on an unterminated or malformed string.
func lex(rule string) ([]token, error) {
	var toks []token
	for i := 0; i < len(rule); {
		c := rule[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i})
			i++
		case c == ',':
			toks = append(toks, token{tokComma, ",", i})
			i++
		case c == '!':
			toks = append(toks, token{tokNot, "!", i})
			i++
		case c == '&' || c == '|':
			if i+1 >= len(rule) || rule[i+1] != c {
				return nil, errorAt(rule, i, "unexpected %q, did you mean %q?", string(c), string([]byte{c, c}))
			}
			kind := tokAnd
			if c == '|' {
				kind = tokOr
			}
			toks = append(toks, token{kind, rule[i : i+2], i})
			i += 2
		case c == '`':
			end := strings.IndexByte(rule[i+1:], '`')
			if end < 0 {
				return nil, errorAt(rule, i, "unterminated string: missing closing backtick")
			}
			toks = append(toks, token{tokString, rule[i+1 : i+1+end], i})
			i += end + 2
		case c == '"':
			tok, n, err := lexQuoted(rule, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, tok)
			i += n
		case c == '\'':
			return nil, errorAt(rule, i, "single quotes are not allowed: quote values with backticks or double quotes")
		case isIdentByte(c):
			start := i
			for i < len(rule) && isIdentByte(rule[i]) {
				i++
			}
			toks = append(toks, token{tokIdent, rule[start:i], start})
		default:
			r, _ := utf8.DecodeRuneInString(rule[i:])
			if unicode.IsPrint(r) {
				return nil, errorAt(rule, i, "unexpected character %q", r)
			}
			return nil, errorAt(rule, i, "unexpected character %U", r)
		}
	}
	return append(toks, token{tokEOF, "", len(rule)}), nil
}

// lexQuoted reads a double-quoted Go string literal starting at rule[i].
// It returns the token and the number of bytes consumed.
func lexQuoted(rule string, i int) (token, int, error) {
	for j := i + 1; j < len(rule); j++ {
		switch rule[j] {
		case '\\':
			j++ // skip the escaped byte; strconv validates the escape
		case '\n':
			return token{}, 0, errorAt(rule, j, "newline in double-quoted string")
		case '"':
			s, err := strconv.Unquote(rule[i : j+1])
			if err != nil {
				return token{}, 0, errorAt(rule, i, "invalid double-quoted string: bad escape sequence")
			}
			return token{tokString, s, i}, j + 1 - i, nil
		}
	}
	return token{}, 0, errorAt(rule, i, "unterminated string: missing closing double quote")
}

func isIdentByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}
