package importer

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestParseNginx(t *testing.T) {
	cases := []struct {
		name, src string
		want      string // directives rendered as name(args)[line]{...}
		err       string
	}{
		{name: "simple", src: "worker_processes 2;\n", want: "worker_processes(2)[1]"},
		{name: "block", src: "http {\n  upstream app {\n    server 10.0.0.1:80 weight=2;\n  }\n}\n",
			want: "http()[1]{upstream(app)[2]{server(10.0.0.1:80 weight=2)[3]}}"},
		{name: "comments and quotes", src: "# top\nadd_header X-Test \"a;b # c\"; # tail\n", want: "add_header(X-Test a;b # c)[2]"},
		{name: "single quotes and escapes", src: `return 200 'it\'s';`, want: "return(200 it's)[1]"},
		{name: "variable braces", src: "set $x ${host}x;", want: "set($x ${host}x)[1]"},
		{name: "empty block", src: "events {}\n", want: "events()[1]{}"},
		{name: "missing semicolon", src: "http {\n  sendfile on\n}\n", err: `t.conf:3:1: unexpected "}": directive "sendfile" has no ending ";"`},
		{name: "unclosed block", src: "http {\n  sendfile on;\n", err: `t.conf:2:1: unexpected end of file, expecting "}"`},
		{name: "stray brace", src: "sendfile on;\n}\n", err: `t.conf:2:1: unexpected "}"`},
		{name: "unterminated quote", src: "root \"/var/www;\n", err: "t.conf:1:6: unterminated quoted string"},
		{name: "no name", src: "  ;", err: `t.conf:1:3: unexpected ";": expected a directive name`},
		{name: "eof in directive", src: "listen 80", err: `t.conf:1:1: directive "listen" has no ending ";" or "{"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds, err := ParseNginx("t.conf", []byte(tc.src))
			if tc.err != "" {
				var se *SyntaxError
				if !errors.As(err, &se) || err.Error() != tc.err {
					t.Fatalf("error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := render(ds); got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func render(ds []*Directive) string {
	var parts []string
	for _, d := range ds {
		s := d.Name + "(" + strings.Join(d.Args, " ") + ")[" + itoa(d.Line) + "]"
		if d.IsBlock {
			s += "{" + render(d.Children) + "}"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ",")
}

func itoa(i int) string { return strconv.Itoa(i) }
