package routing

import (
	"errors"
	"strings"
	"testing"
)

func TestLex(t *testing.T) {
	toks, err := lex("Host(`a.b`) && !Path(\"/x\\\"y\") || (Method(`GET`),)")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, tk := range toks {
		kinds = append(kinds, tk.kind.String()+":"+tk.text)
	}
	got := strings.Join(kinds, " ")
	want := `matcher name:Host "(":( string:a.b ")":) "&&":&& "!":! matcher name:Path "(":( string:/x"y ")":) "||":|| "(":( matcher name:Method "(":( string:GET ")":) ",":, ")":) end of rule:`
	if got != want {
		t.Errorf("tokens\n got %s\nwant %s", got, want)
	}
}

func TestParseRuleCanonical(t *testing.T) {
	tests := []struct{ rule, want string }{
		{"Host(`a`)", "Host(`a`)"},
		{"host(`A.Example.COM`)", "Host(`a.example.com`)"},
		{"Host(\"a\")", "Host(`a`)"},
		{"  Host( `a` )  ", "Host(`a`)"},
		{"A() || B()", ""}, // unknown matcher, checked elsewhere
		{"Host(`a`) || Host(`b`) && Path(`/c`)", "(Host(`a`) || (Host(`b`) && Path(`/c`)))"},
		{"Host(`a`) && Host(`b`) || Path(`/c`)", "((Host(`a`) && Host(`b`)) || Path(`/c`))"},
		{"!Host(`a`) && Path(`/b`)", "(!Host(`a`) && Path(`/b`))"},
		{"!(Host(`a`) && Path(`/b`))", "!(Host(`a`) && Path(`/b`))"},
		{"!!Host(`a`)", "!!Host(`a`)"},
		{"Host(`a`) && Host(`b`) && Host(`c`)", "((Host(`a`) && Host(`b`)) && Host(`c`))"},
		{"Host(`a`) || Host(`b`) || Host(`c`)", "((Host(`a`) || Host(`b`)) || Host(`c`))"},
		{"(Host(`a`) || Host(`b`)) && Path(`/c`)", "((Host(`a`) || Host(`b`)) && Path(`/c`))"},
		{"Header(`X-A`, `1`) && Query(`q`) && Query(`q`, `v`)", "((Header(`X-A`, `1`) && Query(`q`)) && Query(`q`, `v`))"},
		{"HeaderRegexp(`X`, `^a`) || QueryRegexp(`k`, `v+`)", "(HeaderRegexp(`X`, `^a`) || QueryRegexp(`k`, `v+`))"},
		{"ClientIP(`10.0.0.0/8`) || ClientIP(`::1`)", "(ClientIP(`10.0.0.0/8`) || ClientIP(`::1`))"},
		{"Path(\"/a`b\")", "Path(\"/a`b\")"},
		{"PathRegexp(`^/api/v[0-9]+`) && hostregexp(`.+\\.local$`)", "(PathRegexp(`^/api/v[0-9]+`) && HostRegexp(`.+\\.local$`))"},
	}
	for _, tt := range tests {
		if tt.want == "" {
			continue
		}
		r, err := ParseRule(tt.rule)
		if err != nil {
			t.Errorf("ParseRule(%q): %v", tt.rule, err)
			continue
		}
		if got := r.Canonical(); got != tt.want {
			t.Errorf("ParseRule(%q).Canonical() = %s, want %s", tt.rule, got, tt.want)
		}
		if r.String() != tt.rule {
			t.Errorf("String() = %q, want %q", r.String(), tt.rule)
		}
		// The canonical form parses to itself.
		again, err := ParseRule(tt.want)
		if err != nil || again.Canonical() != tt.want {
			t.Errorf("canonical %q does not round-trip: %v", tt.want, err)
		}
	}
}

func TestParseRuleErrors(t *testing.T) {
	tests := []struct{ rule, want string }{
		{"", "column 1: empty rule"},
		{"   ", "column 1: empty rule"},
		{"Host(`a`", "rule \"Host(`a`\": column 9: expected \")\", found end of rule"},
		{"Host(`a`))", `column 10: expected "&&", "||" or end of rule, found ")"`},
		{"(Host(`a`)", `column 11: expected ")", found end of rule`},
		{"((Host(`a`)) && Path(`/`)", `column 26: expected ")"`},
		{"Host", `column 5: expected "(", found end of rule`},
		{"Host(`a` `b`)", "column 10: expected \")\", found string \"b\""},
		{"Host(`a`,)", `column 10: expected a quoted argument, found ")"`},
		{"Host(a)", `column 6: expected a quoted argument, found "a"`},
		{"Host('a')", "column 6: single quotes are not allowed"},
		{"Host(`a)", "column 6: unterminated string: missing closing backtick"},
		{"Host(\"a)", "column 6: unterminated string: missing closing double quote"},
		{"Host(\"a\\q\")", "column 6: invalid double-quoted string"},
		{"Hots(`a`)", `column 1: unknown matcher "Hots"`},
		{"HOST(`a`)", `column 1: unknown matcher "HOST" (did you mean "Host"?)`},
		{"HostSNI(`a`)", `unknown matcher "HostSNI"`},
		{"Host()", "column 1: Host takes 1 argument, got 0"},
		{"Host(`a`, `b`)", "column 1: Host takes 1 argument, got 2"},
		{"Header(`a`)", "Header takes 2 arguments, got 1"},
		{"Query()", "Query takes 1 or 2 arguments, got 0"},
		{"Host(``)", "column 6: Host: empty host"},
		{"Host(`ex ample`)", "invalid character"},
		{"Host(`bücher.de`)", "non-ASCII"},
		{"Path(`a`)", `column 6: Path: path "a" does not start with "/"`},
		{"PathPrefix(`api`)", `does not start with "/"`},
		{"PathRegexp(`(`)", "column 12: PathRegexp: invalid regexp"},
		{"HostRegexp(`[a-`)", "invalid regexp"},
		{"HeaderRegexp(`X`, `*`)", "column 19: HeaderRegexp: invalid regexp"},
		{"QueryRegexp(`k`, `a(`)", "invalid regexp"},
		{"ClientIP(`10.0.0.0/33`)", `invalid CIDR "10.0.0.0/33"`},
		{"ClientIP(`10.0.0.300`)", `invalid IP address "10.0.0.300"`},
		{"ClientIP(`nope`)", "invalid IP address"},
		{"Method(``)", "invalid method"},
		{"Header(``, `v`)", "empty key"},
		{"Host(`a`) &&", `column 13: expected a matcher, "!" or "(", found end of rule`},
		{"Host(`a`) ||", `expected a matcher, "!" or "(", found end of rule`},
		{"&& Host(`a`)", `column 1: expected a matcher, "!" or "(", found "&&"`},
		{"Host(`a`) & Path(`/`)", `column 11: unexpected "&", did you mean "&&"?`},
		{"Host(`a`) | Path(`/`)", `unexpected "|", did you mean "||"?`},
		{"Host(`a`) Path(`/`)", `column 11: expected "&&", "||" or end of rule, found "Path"`},
		{"Host(`a`) && || Path(`/`)", `column 14: expected a matcher, "!" or "("`},
		{"!", "column 2: expected a matcher"},
		{"()", `column 2: expected a matcher, "!" or "(", found ")"`},
		{"Host(`a`) && $", `column 14: unexpected character '$'`},
		{"Hôst(`a`)", "column 2: unexpected character 'ô'"},
		{strings.Repeat("(", 100) + "Host(`a`)" + strings.Repeat(")", 100), "nested more than 64 levels"},
		{strings.Repeat("!", 100) + "Host(`a`)", "nested more than 64 levels"},
	}
	for _, tt := range tests {
		_, err := ParseRule(tt.rule)
		if err == nil {
			t.Errorf("ParseRule(%q) = nil error, want %q", tt.rule, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRule(%q) error\n got %v\nwant substring %s", tt.rule, err, tt.want)
		}
		if !errors.Is(err, ErrInvalidRule) {
			t.Errorf("ParseRule(%q) error does not wrap ErrInvalidRule", tt.rule)
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Column < 1 {
			t.Errorf("ParseRule(%q) error is not a *ParseError with a column: %#v", tt.rule, err)
		}
	}
}

func TestRuleHosts(t *testing.T) {
	tests := []struct {
		rule string
		want []string
	}{
		{"Host(`A.example.com`)", []string{"a.example.com"}},
		{"Host(`a`) || Host(`b`) && Path(`/`) || Host(`a`)", []string{"a", "b"}},
		{"!Host(`a`) && Host(`b`)", []string{"b"}},
		{"!(Host(`a`) || !Host(`c`))", []string{"c"}},
		{"HostRegexp(`.*`) && PathPrefix(`/`)", []string{}},
		{"Host(`example.com.`)", []string{"example.com"}},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.rule)
		if err != nil {
			t.Fatal(err)
		}
		got := r.Hosts()
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Hosts(%q) = %q, want %q", tt.rule, got, tt.want)
		}
	}
}
