package filter

import (
	"fmt"
	"strconv"
	"strings"
)

// kind is the kind of a token.
type kind int

const (
	tokEOF     kind = iota
	tokLParen       // (
	tokRParen       // )
	tokEq           // ==
	tokNe           // !=
	tokString       // "..." or `...`, text holds the unquoted value
	tokNumber       // -12.5, text holds the literal
	tokWord         // a selector-shaped word: Service.Meta["env"], v1, true
	tokKeyword      // and or not in is empty contains matches
)

// keywords are the bare words the grammar reserves. A selector made of one
// of them alone is not a selector; `Service.Meta.in` is.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "is": true,
	"empty": true, "contains": true, "matches": true,
}

// token is one lexeme. For tokWord, path holds the selector's segments.
type token struct {
	kind kind
	pos  int // byte offset in the source
	end  int // byte offset just past the token
	text string
	path []segment
}

// segment is one step of a selector path. Segments written as digits
// (`.0`) may index a slice; every segment may name a map key.
type segment struct {
	name    string
	bracket bool // written as ["name"]
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokLParen:
		return `"("`
	case tokRParen:
		return `")"`
	case tokEq:
		return `"=="`
	case tokNe:
		return `"!="`
	case tokString:
		return "string " + strconv.Quote(t.text)
	case tokNumber:
		return "number " + t.text
	case tokKeyword:
		return "keyword " + strconv.Quote(t.text)
	default:
		return strconv.Quote(t.text)
	}
}

// lexer turns the source into tokens, one at a time.
type lexer struct {
	src string
	off int
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isIdentChar reports the characters bexpr allows after an identifier's
// first letter.
func isIdentChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' || c == '/' }

// next returns the next token or a syntax error.
func (l *lexer) next() (token, error) {
	for l.off < len(l.src) && isSpace(l.src[l.off]) {
		l.off++
	}
	start := l.off
	if start == len(l.src) {
		return token{kind: tokEOF, pos: start, end: start}, nil
	}
	c := l.src[start]
	switch {
	case c == '(':
		l.off++
		return token{kind: tokLParen, pos: start, end: l.off, text: "("}, nil
	case c == ')':
		l.off++
		return token{kind: tokRParen, pos: start, end: l.off, text: ")"}, nil
	case c == '=' || c == '!':
		if strings.HasPrefix(l.src[start:], "==") || strings.HasPrefix(l.src[start:], "!=") {
			l.off += 2
			k := tokEq
			if c == '!' {
				k = tokNe
			}
			return token{kind: k, pos: start, end: l.off, text: l.src[start:l.off]}, nil
		}
		return token{}, errAt(l.src, start, "unexpected %q: the operators are == and !=", c)
	case c == '"' || c == '`':
		s, err := l.str()
		if err != nil {
			return token{}, err
		}
		return token{kind: tokString, pos: start, end: l.off, text: s}, nil
	case c == '-' || isDigit(c):
		return l.number()
	case isLetter(c):
		return l.word()
	case c == '[':
		return token{}, errAt(l.src, start, `unexpected "[": a selector starts with a field name, as in Node.Meta["key"]`)
	}
	return token{}, errAt(l.src, start, "unexpected character %s", quoteRune(l.src[start:]))
}

// str scans a double-quoted string (Go escapes) or a backtick-quoted raw
// string starting at l.off and returns its value.
func (l *lexer) str() (string, error) {
	start := l.off
	q := l.src[start]
	i := start + 1
	for i < len(l.src) && l.src[i] != q {
		if q == '"' && l.src[i] == '\\' {
			i++
		}
		i++
	}
	if i >= len(l.src) {
		return "", errAt(l.src, start, "unterminated string literal")
	}
	l.off = i + 1
	s, err := strconv.Unquote(l.src[start:l.off])
	if err != nil {
		return "", errAt(l.src, start, "invalid string literal %s: check its escape sequences", l.src[start:l.off])
	}
	return s, nil
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?, which must be followed by
// whitespace, ")" or the end, as in bexpr.
func (l *lexer) number() (token, error) {
	start := l.off
	i := start
	if l.src[i] == '-' {
		i++
	}
	digits := i
	for i < len(l.src) && isDigit(l.src[i]) {
		i++
	}
	ok := i > digits && (l.src[digits] != '0' || i == digits+1)
	if ok && i < len(l.src) && l.src[i] == '.' {
		frac := i + 1
		for i = frac; i < len(l.src) && isDigit(l.src[i]); i++ {
		}
		ok = i > frac
	}
	if ok && i < len(l.src) && !isSpace(l.src[i]) && l.src[i] != ')' {
		ok = false
	}
	if !ok {
		end := i
		for end < len(l.src) && !isSpace(l.src[end]) && l.src[end] != ')' && l.src[end] != '(' {
			end++
		}
		return token{}, errAt(l.src, start, "invalid number literal %q (quote values that are not plain numbers)", l.src[start:end])
	}
	l.off = i
	return token{kind: tokNumber, pos: start, end: i, text: l.src[start:i]}, nil
}

// word scans a selector: Identifier ( "." Identifier | "." digits |
// "[" string "]" )*, where Identifier is [a-zA-Z][a-zA-Z0-9_/]*.
func (l *lexer) word() (token, error) {
	start := l.off
	var path []segment
	path = append(path, segment{name: l.ident()})
	for l.off < len(l.src) {
		switch c := l.src[l.off]; {
		case c == '.':
			l.off++
			switch {
			case l.off < len(l.src) && isLetter(l.src[l.off]):
				path = append(path, segment{name: l.ident()})
			case l.off < len(l.src) && isDigit(l.src[l.off]):
				d := l.off
				for l.off < len(l.src) && isDigit(l.src[l.off]) {
					l.off++
				}
				path = append(path, segment{name: l.src[d:l.off]})
			default:
				return token{}, errAt(l.src, l.off, `expected a field name or index after "." in selector %q`, l.src[start:l.off])
			}
		case c == '[':
			name, err := l.index()
			if err != nil {
				return token{}, err
			}
			path = append(path, segment{name: name, bracket: true})
		default:
			return l.endWord(start, path)
		}
	}
	return l.endWord(start, path)
}

// endWord checks what follows a word and classifies it as a keyword or a
// selector-shaped word.
func (l *lexer) endWord(start int, path []segment) (token, error) {
	if l.off < len(l.src) {
		c := l.src[l.off]
		if !isSpace(c) && c != '(' && c != ')' && c != '=' && c != '!' && c != '"' && c != '`' {
			return token{}, errAt(l.src, l.off, "unexpected character %s after %q (quote values that are not plain words)", quoteRune(l.src[l.off:]), l.src[start:l.off])
		}
	}
	text := l.src[start:l.off]
	if len(path) == 1 && keywords[text] {
		return token{kind: tokKeyword, pos: start, end: l.off, text: text}, nil
	}
	return token{kind: tokWord, pos: start, end: l.off, text: text, path: path}, nil
}

func (l *lexer) ident() string {
	start := l.off
	l.off++
	for l.off < len(l.src) && isIdentChar(l.src[l.off]) {
		l.off++
	}
	return l.src[start:l.off]
}

// index scans `[ "key" ]` (or a backtick-quoted key) at l.off.
func (l *lexer) index() (string, error) {
	open := l.off
	l.off++
	l.skipSpace()
	if l.off >= len(l.src) || (l.src[l.off] != '"' && l.src[l.off] != '`') {
		return "", errAt(l.src, l.off, `invalid index: expected a quoted key after "[", as in Meta["key"]`)
	}
	name, err := l.str()
	if err != nil {
		return "", err
	}
	l.skipSpace()
	if l.off >= len(l.src) || l.src[l.off] != ']' {
		return "", errAt(l.src, open, `unclosed index expression: expected "]"`)
	}
	l.off++
	return name, nil
}

func (l *lexer) skipSpace() {
	for l.off < len(l.src) && isSpace(l.src[l.off]) {
		l.off++
	}
}

// quoteRune quotes the first rune of s for an error message.
func quoteRune(s string) string {
	for _, r := range s {
		return strconv.QuoteRune(r)
	}
	return `""`
}

// column is the 1-based column, counted in characters, of byte offset off.
func column(src string, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return len([]rune(src[:off])) + 1
}

func errAt(src string, off int, format string, args ...any) error {
	return &SyntaxError{Column: column(src, off), Msg: fmt.Sprintf(format, args...)}
}
