package routing

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Request is the plain form of what a rule looks at. Callers that do not
// hold an *http.Request (tests, the admin API's "which router would serve
// this?") fill it directly.
type Request struct {
	// Host is the request's host as sent (Host header or :authority); a
	// port and a trailing dot are ignored, case does not matter.
	Host   string
	Method string
	// Path is the decoded URL path; empty means "/".
	Path   string
	Header http.Header
	// RawQuery is the encoded query string without "?".
	RawQuery string
}

// reqView is the normalized request a syntax tree evaluates against. The
// query string is parsed at most once, and only if a matcher asks for it.
type reqView struct {
	host     string
	path     string
	method   string
	header   http.Header
	rawQuery string
	query    url.Values
	ip       netip.Addr
}

func (r *reqView) queryValues() url.Values {
	if r.query == nil {
		q, _ := url.ParseQuery(r.rawQuery) // keep what parses, as net/http does
		r.query = q
	}
	return r.query
}

func newView(req Request, ip netip.Addr) reqView {
	path := req.Path
	if path == "" {
		path = "/"
	}
	return reqView{
		host:     canonicalHost(stripPort(req.Host)),
		path:     path,
		method:   req.Method,
		header:   req.Header,
		rawQuery: req.RawQuery,
		ip:       ip.Unmap().WithZone(""),
	}
}

// RequestOf reads, without changing it, the parts of req a rule looks at.
func RequestOf(req *http.Request) Request {
	out := Request{Host: req.Host, Method: req.Method, Header: req.Header}
	if req.URL != nil {
		if out.Host == "" {
			out.Host = req.URL.Host
		}
		out.Path = req.URL.Path
		out.RawQuery = req.URL.RawQuery
	}
	return out
}

// Match reports whether req, coming from clientIP, matches the rule. It
// only reads req. An invalid clientIP matches no ClientIP matcher.
func (r *Rule) Match(req *http.Request, clientIP netip.Addr) bool {
	return r.MatchRequest(RequestOf(req), clientIP)
}

// MatchRequest is Match for a plain Request.
func (r *Rule) MatchRequest(req Request, clientIP netip.Addr) bool {
	v := newView(req, clientIP)
	return r.root.eval(&v)
}

// stripPort removes a ":port" suffix from a host, handling "[v6]:port".
func stripPort(host string) string {
	// Without a colon SplitHostPort can only fail, building an error.
	if strings.IndexByte(host, ':') < 0 {
		return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
}

// canonicalHost lower-cases a host and drops a trailing dot, so
// "Example.COM." and "example.com" are the same host.
func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}
