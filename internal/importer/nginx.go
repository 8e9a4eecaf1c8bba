package importer

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// NginxOptions tune the nginx planner.
type NginxOptions struct {
	// Domain names the router of an upstream that no server block routes
	// to: Host(`<upstream>.<Domain>`). Empty means "lab.local".
	Domain string
}

// nginxIgnored are directives whose job orbit's edge does on its own
// (process tuning, logging, the proxy headers it always sets): they are
// neither mapped nor worth a report.
var nginxIgnored = map[string]bool{
	"user": true, "worker_processes": true, "pid": true, "error_log": true, "events": true,
	"worker_rlimit_nofile": true, "access_log": true, "log_format": true, "sendfile": true,
	"tcp_nopush": true, "tcp_nodelay": true, "keepalive_timeout": true, "types_hash_max_size": true,
	"default_type": true, "server_tokens": true, "client_max_body_size": true, "keepalive": true,
	"zone": true, "proxy_http_version": true, "proxy_buffering": true, "proxy_read_timeout": true,
	"proxy_connect_timeout": true, "proxy_send_timeout": true, "ssl_protocols": true,
	"ssl_prefer_server_ciphers": true, "ssl_ciphers": true, "ssl_session_cache": true,
	"ssl_session_timeout": true, "charset": true,
}

// proxyHeadersKept are request headers the edge sets itself, as nginx
// configurations set them by hand.
var proxyHeadersKept = map[string]bool{
	"host": true, "x-real-ip": true, "x-forwarded-for": true, "x-forwarded-proto": true,
	"x-forwarded-host": true, "upgrade": true, "connection": true,
}

type nginxUpstream struct {
	name    string
	line    int
	routers int
}

type nginxPlanner struct {
	*builder
	opts      NginxOptions
	upstreams map[string]*nginxUpstream
	order     []*nginxUpstream
}

// PlanNginx maps one nginx configuration: every upstream block becomes an
// external service with one health-checked instance per server; every
// location that proxies to an upstream (or to a literal address) becomes a
// router in Traefik tags on that service, its rule built from server_name
// and the location; an upstream that no location routes to gets a router
// on Host(`<name>.<domain>`). Everything else is reported as unmapped.
func PlanNginx(file string, src []byte, opts NginxOptions) (*Plan, error) {
	ds, err := ParseNginx(file, src)
	if err != nil {
		return nil, err
	}
	if opts.Domain == "" {
		opts.Domain = "lab.local"
	}
	p := &nginxPlanner{builder: newBuilder(file), opts: opts, upstreams: map[string]*nginxUpstream{}}
	// Upstreams first: servers may name them before they are defined.
	p.walkUpstreams(ds)
	p.walk(ds, "main")
	for _, u := range p.order {
		if u.routers == 0 {
			r := routerName(u.name)
			p.addTags(u.name, u.line, "traefik.enable=true",
				fmt.Sprintf("traefik.http.routers.%s.rule=Host(`%s.%s`)", r, strings.ToLower(u.name), opts.Domain))
			p.unmapped(u.line, "no server block routes to upstream %q: its router answers Host(`%s.%s`)", u.name, strings.ToLower(u.name), opts.Domain)
		}
	}
	return p.finish(), nil
}

func (p *nginxPlanner) walkUpstreams(ds []*Directive) {
	for _, d := range ds {
		switch {
		case d.Name == "upstream" && d.IsBlock:
			p.upstream(d)
		case d.Name == "http" && d.IsBlock:
			p.walkUpstreams(d.Children)
		}
	}
}

func (p *nginxPlanner) upstream(d *Directive) {
	if len(d.Args) != 1 {
		p.unmapped(d.Line, "upstream needs exactly one name")
		return
	}
	name := d.Args[0]
	u := &nginxUpstream{name: name, line: d.Line}
	p.upstreams[name] = u
	p.order = append(p.order, u)
	for _, c := range d.Children {
		switch {
		case c.Name == "server" && len(c.Args) > 0:
			p.upstreamServer(name, c)
		case nginxIgnored[c.Name]:
		case c.Name == "least_conn" || c.Name == "ip_hash" || c.Name == "hash" || c.Name == "random":
			p.unmapped(c.Line, "%s: orbit's edge balances by power of two choices over least outstanding requests", c.Name)
		default:
			p.unmapped(c.Line, "upstream directive %q", c.Name)
		}
	}
}

func (p *nginxPlanner) upstreamServer(service string, c *Directive) {
	if strings.HasPrefix(c.Args[0], "unix:") {
		p.unmapped(c.Line, "server %s: a unix socket cannot be reached from other nodes", c.Args[0])
		return
	}
	host, port, err := splitHostPortDefault(c.Args[0], 80)
	if err != nil {
		p.unmapped(c.Line, "server %s: %v", c.Args[0], err)
		return
	}
	in := p.instance(service, host, port, c.Line, "")
	for _, opt := range c.Args[1:] {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "weight":
			w, err := strconv.Atoi(v)
			if err != nil || w < 1 {
				p.unmapped(c.Line, "server %s: weight %q", c.Args[0], v)
				continue
			}
			in.Weights.Passing = w
		case "max_fails", "fail_timeout":
			// The edge ejects failing instances passively on its own.
		case "backup", "down":
			p.unmapped(c.Line, "server %s %s: orbit has no backup or down servers; the instance is registered and health-checked like the others", c.Args[0], k)
		default:
			p.unmapped(c.Line, "server %s: parameter %q", c.Args[0], opt)
		}
	}
}

func (p *nginxPlanner) walk(ds []*Directive, ctx string) {
	for _, d := range ds {
		switch {
		case d.Name == "http" && d.IsBlock:
			p.walk(d.Children, "http")
		case d.Name == "upstream":
			// Done in walkUpstreams.
		case d.Name == "server" && d.IsBlock && ctx == "http":
			p.server(d)
		case d.Name == "include":
			if len(d.Args) == 1 && strings.HasSuffix(d.Args[0], "mime.types") {
				continue
			}
			p.unmapped(d.Line, "include %s: included files are not followed; import them as well", strings.Join(d.Args, " "))
		case d.Name == "stream" || d.Name == "mail":
			p.unmapped(d.Line, "%s block: orbit's edge routes HTTP only", d.Name)
		case nginxIgnored[d.Name] || strings.HasPrefix(d.Name, "gzip"):
		default:
			p.unmapped(d.Line, "directive %q", d.Name)
		}
	}
}

// nginxServer is what a server block contributes to its routers.
type nginxServer struct {
	hosts       []string // rule fragments: Host(`a`) or HostRegexp(`...`)
	name        string   // the first plain server_name
	entryPoints []string
	tls         bool
}

func (p *nginxPlanner) server(d *Directive) {
	var s nginxServer
	var locations []*Directive
	for _, c := range d.Children {
		switch c.Name {
		case "listen":
			p.listen(&s, c)
		case "server_name":
			for _, n := range c.Args {
				if frag := hostRule(n); frag != "" {
					s.hosts = append(s.hosts, frag)
					if s.name == "" && strings.HasPrefix(frag, "Host(") {
						s.name = strings.ToLower(n)
					}
				}
			}
		case "location":
			locations = append(locations, c)
		case "ssl_certificate", "ssl_certificate_key":
			s.tls = true
			p.unmapped(c.Line, "%s: certificates come from the edge (ACME or its own CA); the router gets tls=true", c.Name)
		case "return":
			if len(c.Args) == 2 && strings.HasPrefix(c.Args[1], "https://") {
				p.unmapped(c.Line, "return %s %s: redirect to https with edge_config { entrypoint \"web\" { redirect_to = \"websecure\" } }", c.Args[0], c.Args[1])
			} else {
				p.unmapped(c.Line, "return %s", strings.Join(c.Args, " "))
			}
		default:
			if !nginxIgnored[c.Name] && !p.proxyHeader(c) {
				p.unmapped(c.Line, "server directive %q", c.Name)
			}
		}
	}
	for _, l := range locations {
		p.location(&s, l)
	}
}

func (p *nginxPlanner) listen(s *nginxServer, c *Directive) {
	if len(c.Args) == 0 {
		return
	}
	_, portStr, err := net.SplitHostPort(c.Args[0])
	if err != nil {
		portStr = c.Args[0]
	}
	ssl := false
	for _, a := range c.Args[1:] {
		if a == "ssl" {
			ssl = true
		}
	}
	switch {
	case ssl || portStr == "443":
		s.tls = true
		s.entryPoints = appendNew(s.entryPoints, "websecure")
	case portStr == "80":
		s.entryPoints = appendNew(s.entryPoints, "web")
	default:
		p.unmapped(c.Line, "listen %s: no entry point for port %s; name one with -entrypoint NAME=ADDR and add it to the router", c.Args[0], portStr)
	}
}

func (p *nginxPlanner) proxyHeader(c *Directive) bool {
	return c.Name == "proxy_set_header" && len(c.Args) == 2 && proxyHeadersKept[strings.ToLower(c.Args[0])]
}

// location turns one location into a router on the service it proxies to.
func (p *nginxPlanner) location(s *nginxServer, l *Directive) {
	path, match, ok := locationMatch(l.Args)
	if !ok {
		p.unmapped(l.Line, "location %s: named locations are not routed", strings.Join(l.Args, " "))
		return
	}
	var target *Directive
	for _, c := range l.Children {
		switch {
		case c.Name == "proxy_pass" && len(c.Args) == 1:
			target = c
		case c.Name == "location":
			p.unmapped(c.Line, "nested location %s", strings.Join(c.Args, " "))
		case nginxIgnored[c.Name] || p.proxyHeader(c):
		default:
			p.unmapped(c.Line, "location directive %q", c.Name)
		}
	}
	if target == nil {
		p.unmapped(l.Line, "location %s proxies nowhere (no proxy_pass); static files and redirects stay with nginx", path)
		return
	}
	service, rest, ok := p.proxyTarget(target, s.name, path)
	if !ok {
		return
	}
	u := p.upstreams[service]
	u.routers++
	r := routerName(service)
	if u.routers > 1 {
		r = fmt.Sprintf("%s-%d", r, u.routers)
	}
	rule := buildRule(s.hosts, path, match)
	tags := []string{"traefik.enable=true", fmt.Sprintf("traefik.http.routers.%s.rule=%s", r, rule)}
	if len(s.entryPoints) > 0 {
		tags = append(tags, fmt.Sprintf("traefik.http.routers.%s.entrypoints=%s", r, strings.Join(s.entryPoints, ",")))
	}
	if s.tls {
		tags = append(tags, fmt.Sprintf("traefik.http.routers.%s.tls=true", r))
	}
	switch {
	case rest == "" || rest == path:
	case rest == "/" && match == "prefix" && path != "/":
		mw := r + "-strip"
		tags = append(tags, fmt.Sprintf("traefik.http.middlewares.%s.stripprefix.prefixes=%s", mw, strings.TrimSuffix(path, "/")),
			fmt.Sprintf("traefik.http.routers.%s.middlewares=%s", r, mw))
	default:
		p.unmapped(target.Line, "proxy_pass %s: rewriting %s to %s is not mapped", target.Args[0], path, rest)
	}
	p.addTags(service, l.Line, tags...)
}

// proxyTarget resolves proxy_pass to a service (an upstream, or a new
// service for a literal address) and the URI part after the authority.
func (p *nginxPlanner) proxyTarget(c *Directive, serverName, path string) (service, rest string, ok bool) {
	raw := c.Args[0]
	if strings.Contains(raw, "$") {
		p.unmapped(c.Line, "proxy_pass %s: a target built from variables is not mapped", raw)
		return "", "", false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		p.unmapped(c.Line, "proxy_pass %s: not an http(s) URL", raw)
		return "", "", false
	}
	if u.Scheme == "https" {
		p.unmapped(c.Line, "proxy_pass %s: backends are reached over http; https to the backend is not mapped", raw)
	}
	rest = u.Path
	if _, ok := p.upstreams[u.Host]; ok {
		return u.Host, rest, true
	}
	host, port, err := splitHostPortDefault(u.Host, 80)
	if err != nil {
		p.unmapped(c.Line, "proxy_pass %s: %v", raw, err)
		return "", "", false
	}
	// A literal address is named after the site and the location:
	// nas.lab.local's /pbs/ becomes "nas-pbs".
	if serverName != "" {
		first, _, _ := strings.Cut(serverName, ".")
		service = routerName(first + "-" + strings.Trim(path, "/"))
	} else {
		service = routerName(ExternalNodeName(host) + "-" + strconv.Itoa(port))
	}
	p.instance(service, host, port, c.Line, "")
	p.upstreams[service] = &nginxUpstream{name: service, line: c.Line}
	return service, rest, true
}

// locationMatch reads a location's modifier and path: match is "exact",
// "prefix" or "regexp"; ok is false for named locations.
func locationMatch(args []string) (path, match string, ok bool) {
	switch {
	case len(args) == 1 && strings.HasPrefix(args[0], "@"):
		return "", "", false
	case len(args) == 1:
		return args[0], "prefix", true
	case len(args) == 2 && args[0] == "=":
		return args[1], "exact", true
	case len(args) == 2 && args[0] == "^~":
		return args[1], "prefix", true
	case len(args) == 2 && args[0] == "~":
		return args[1], "regexp", true
	case len(args) == 2 && args[0] == "~*":
		return "(?i)" + args[1], "regexp", true
	}
	return "", "", false
}

// hostRule turns one server_name into a rule fragment ("" for the
// catch-all names).
func hostRule(name string) string {
	switch {
	case name == "_" || name == "" || name == "localhost":
		return ""
	case strings.HasPrefix(name, "~"):
		return "HostRegexp(`" + strings.TrimPrefix(name, "~") + "`)"
	case strings.HasPrefix(name, "*."):
		return "HostRegexp(`^[^.]+" + strings.ReplaceAll(name[1:], ".", `\.`) + "$`)"
	case strings.HasPrefix(name, "."):
		return "HostRegexp(`^(.+\\.)?" + strings.ReplaceAll(name[1:], ".", `\.`) + "$`)"
	}
	return "Host(`" + strings.ToLower(name) + "`)"
}

func buildRule(hosts []string, path, match string) string {
	var pathRule string
	switch match {
	case "exact":
		pathRule = "Path(`" + path + "`)"
	case "regexp":
		pathRule = "PathRegexp(`" + path + "`)"
	default:
		if path != "/" {
			pathRule = "PathPrefix(`" + path + "`)"
		}
	}
	hostRule := strings.Join(hosts, " || ")
	if len(hosts) > 1 && pathRule != "" {
		hostRule = "(" + hostRule + ")"
	}
	switch {
	case hostRule == "" && pathRule == "":
		return "PathPrefix(`/`)"
	case hostRule == "":
		return pathRule
	case pathRule == "":
		return hostRule
	}
	return hostRule + " && " + pathRule
}

func splitHostPortDefault(s string, def int) (string, int, error) {
	host, portStr, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(s, "[]"), def, nil
		}
		return "", 0, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", portStr)
	}
	return host, port, nil
}

func appendNew(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
