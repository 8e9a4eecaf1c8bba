package importer

import (
	"fmt"
	"strings"
)

// Directive is one nginx directive: its name, arguments (quotes removed),
// the line it starts on and, for a block directive, its children.
type Directive struct {
	Name     string
	Args     []string
	Line     int
	IsBlock  bool
	Children []*Directive
}

// SyntaxError is a parse error at file:line:col.
type SyntaxError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

type nginxToken struct {
	text      string
	quoted    bool
	line, col int
}

// lexNginx splits an nginx configuration into words, quoted strings and
// the punctuation ; { }. Comments run from # to the end of the line.
func lexNginx(file string, src []byte) ([]nginxToken, error) {
	var toks []nginxToken
	line, col := 1, 0
	s := string(src)
	for i := 0; i < len(s); {
		c := s[i]
		col++
		switch {
		case c == '\n':
			line, col = line+1, 0
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			col = 0
		case c == ';' || c == '{' || c == '}':
			toks = append(toks, nginxToken{text: string(c), line: line, col: col})
			i++
		case c == '"' || c == '\'':
			startLine, startCol := line, col
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				ch := s[i]
				if ch == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					col += 2
					continue
				}
				if ch == c {
					closed = true
					i++
					col++
					break
				}
				if ch == '\n' {
					line, col = line+1, 0
				} else {
					col++
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, &SyntaxError{File: file, Line: startLine, Col: startCol, Msg: "unterminated quoted string"}
			}
			toks = append(toks, nginxToken{text: b.String(), quoted: true, line: startLine, col: startCol})
		default:
			start, startCol := i, col
			for i < len(s) && !strings.ContainsRune(" \t\r\n;{}#", rune(s[i])) {
				// A variable like ${name} keeps its braces.
				if s[i] == '$' && i+1 < len(s) && s[i+1] == '{' {
					if end := strings.IndexByte(s[i:], '}'); end > 0 {
						col += end
						i += end + 1
						continue
					}
				}
				i++
				col++
			}
			col-- // the loop above counted the last character
			toks = append(toks, nginxToken{text: s[start:i], line: line, col: startCol})
		}
	}
	return toks, nil
}

// ParseNginx parses an nginx configuration into its top-level directives.
// It checks nginx's grammar (every simple directive ends with ";", every
// block is closed), not the meaning of directives; errors carry
// file:line:col.
func ParseNginx(file string, src []byte) ([]*Directive, error) {
	toks, err := lexNginx(file, src)
	if err != nil {
		return nil, err
	}
	p := &nginxParser{file: file, toks: toks}
	ds, err := p.block(false)
	if err != nil {
		return nil, err
	}
	return ds, nil
}

type nginxParser struct {
	file string
	toks []nginxToken
	pos  int
}

func (p *nginxParser) errAt(t nginxToken, format string, args ...any) error {
	return &SyntaxError{File: p.file, Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

// block reads directives until "}" (nested) or the end of input (top).
func (p *nginxParser) block(nested bool) ([]*Directive, error) {
	var out []*Directive
	for p.pos < len(p.toks) {
		t := p.toks[p.pos]
		if !t.quoted && t.text == "}" {
			if !nested {
				return nil, p.errAt(t, `unexpected "}"`)
			}
			p.pos++
			return out, nil
		}
		if !t.quoted && (t.text == ";" || t.text == "{") {
			return nil, p.errAt(t, "unexpected %q: expected a directive name", t.text)
		}
		d := &Directive{Name: t.text, Line: t.line}
		p.pos++
		for {
			if p.pos >= len(p.toks) {
				return nil, p.errAt(t, `directive %q has no ending ";" or "{"`, d.Name)
			}
			a := p.toks[p.pos]
			p.pos++
			if !a.quoted && a.text == ";" {
				break
			}
			if !a.quoted && a.text == "}" {
				return nil, p.errAt(a, `unexpected "}": directive %q has no ending ";"`, d.Name)
			}
			if !a.quoted && a.text == "{" {
				d.IsBlock = true
				children, err := p.block(true)
				if err != nil {
					return nil, err
				}
				d.Children = children
				break
			}
			d.Args = append(d.Args, a.text)
		}
		out = append(out, d)
	}
	if nested {
		return nil, &SyntaxError{File: p.file, Line: lastLine(p.toks), Col: 1, Msg: `unexpected end of file, expecting "}"`}
	}
	return out, nil
}

func lastLine(toks []nginxToken) int {
	if len(toks) == 0 {
		return 1
	}
	return toks[len(toks)-1].line
}
