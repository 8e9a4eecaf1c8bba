package routing

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestMatch(t *testing.T) {
	get := func(target string) *http.Request { return httptest.NewRequest("GET", target, nil) }
	withHeader := func(r *http.Request, k, v string) *http.Request { r.Header.Add(k, v); return r }
	local := netip.MustParseAddr("10.1.2.3")
	tests := []struct {
		rule string
		req  *http.Request
		ip   netip.Addr
		want bool
	}{
		{"Host(`example.com`)", get("http://example.com/"), local, true},
		{"Host(`example.com`)", get("http://EXAMPLE.com:8080/"), local, true},
		{"Host(`Example.com`)", get("http://example.com./"), local, true},
		{"Host(`example.com`)", get("http://www.example.com/"), local, false},
		{"Host(`::1`)", get("http://[::1]:80/"), local, true},
		{"HostRegexp(`^[a-z]+\\.example\\.com$`)", get("http://API.example.com:443/"), local, true},
		{"HostRegexp(`^[a-z]+\\.example\\.com$`)", get("http://example.com/"), local, false},
		{"Path(`/a`)", get("/a"), local, true},
		{"Path(`/a`)", get("/a/"), local, false},
		{"Path(`/`)", &http.Request{Method: "GET", Host: "x"}, local, true},
		{"PathPrefix(`/api`)", get("/api/v1"), local, true},
		{"PathPrefix(`/api`)", get("/apis"), local, true},
		{"PathPrefix(`/api/`)", get("/api"), local, false},
		{"PathRegexp(`^/v[0-9]+/`)", get("/v2/x"), local, true},
		{"PathRegexp(`^/v[0-9]+/`)", get("/vx/x"), local, false},
		{"Method(`POST`)", httptest.NewRequest("post", "/", nil), local, true},
		{"Method(`POST`)", get("/"), local, false},
		{"Header(`x-env`, `prod`)", withHeader(get("/"), "X-Env", "prod"), local, true},
		{"Header(`X-Env`, `prod`)", withHeader(withHeader(get("/"), "X-Env", "dev"), "X-Env", "prod"), local, true},
		{"Header(`X-Env`, `prod`)", withHeader(get("/"), "X-Env", "Prod"), local, false},
		{"HeaderRegexp(`X-Env`, `^pr`)", withHeader(get("/"), "X-Env", "prod"), local, true},
		{"HeaderRegexp(`X-Env`, `^pr`)", get("/"), local, false},
		{"Query(`debug`)", get("/?debug"), local, true},
		{"Query(`debug`)", get("/?x=1"), local, false},
		{"Query(`mobile`, `true`)", get("/?mobile=false&mobile=true"), local, true},
		{"Query(`mobile`, `true`)", get("/?mobile=false"), local, false},
		{"QueryRegexp(`id`, `^[0-9]+$`)", get("/?id=42"), local, true},
		{"QueryRegexp(`id`, `^[0-9]+$`)", get("/?id=4x"), local, false},
		{"ClientIP(`10.0.0.0/8`)", get("/"), local, true},
		{"ClientIP(`10.0.0.0/8`)", get("/"), netip.MustParseAddr("::ffff:10.9.9.9"), true},
		{"ClientIP(`10.1.2.3`)", get("/"), local, true},
		{"ClientIP(`10.1.2.4`)", get("/"), local, false},
		{"ClientIP(`::ffff:10.0.0.0/104`)", get("/"), local, true},
		{"ClientIP(`fd00::/8`)", get("/"), netip.MustParseAddr("fd00::1"), true},
		{"ClientIP(`fd00::/8`)", get("/"), local, false},
		{"ClientIP(`10.0.0.0/8`)", get("/"), netip.Addr{}, false},
		{"!ClientIP(`10.0.0.0/8`)", get("/"), netip.Addr{}, true},
		{"Host(`a`) && PathPrefix(`/x`)", get("http://a/x"), local, true},
		{"Host(`a`) && PathPrefix(`/x`)", get("http://a/y"), local, false},
		{"Host(`a`) || Host(`b`) && Path(`/c`)", get("http://a/z"), local, true},
		{"(Host(`a`) || Host(`b`)) && Path(`/c`)", get("http://a/z"), local, false},
		{"!Host(`a`) && Path(`/c`)", get("http://b/c"), local, true},
		{"!(Host(`a`) && Path(`/c`))", get("http://a/d"), local, true},
	}
	for _, tt := range tests {
		r, err := ParseRule(tt.rule)
		if err != nil {
			t.Fatalf("ParseRule(%q): %v", tt.rule, err)
		}
		before := tt.req.Host + tt.req.RequestURI
		if got := r.Match(tt.req, tt.ip); got != tt.want {
			t.Errorf("%s on %s %s%s from %v = %v, want %v", tt.rule, tt.req.Method, tt.req.Host, tt.req.RequestURI, tt.ip, got, tt.want)
		}
		if tt.req.Host+tt.req.RequestURI != before {
			t.Errorf("Match changed the request")
		}
	}
}

func TestMatchRequestPlain(t *testing.T) {
	r, err := ParseRule("Host(`a.example`) && Query(`k`, `v`)")
	if err != nil {
		t.Fatal(err)
	}
	if !r.MatchRequest(Request{Host: "A.example:80", RawQuery: "k=v"}, netip.Addr{}) {
		t.Error("plain request should match")
	}
	if r.MatchRequest(Request{Host: "a.example", RawQuery: "k=w"}, netip.Addr{}) {
		t.Error("plain request should not match")
	}
}
