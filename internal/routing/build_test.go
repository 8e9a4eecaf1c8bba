package routing

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

var testEPs = []EntryPoint{{Name: "web"}, {Name: "websecure", TLS: true}}

func inst(id string, port int, status Status, tags ...string) Instance {
	return Instance{ID: id, Node: "n1", Address: "10.0.0." + id[len(id)-1:], Port: port, Tags: tags, Status: status}
}

func routerNamed(t *testing.T, tbl *Table, name string) *Router {
	t.Helper()
	for _, r := range tbl.Routers() {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no router %q; routers: %v; errors: %v", name, routerNames(tbl.Routers()), tbl.Errors())
	return nil
}

func routerNames(rs []*Router) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return out
}

func TestBuildDefaults(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "my_app", Instances: []Instance{inst("a1", 8080, StatusPassing), inst("a2", 8081, StatusCritical)}},
	})
	if errs := tbl.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	r := routerNamed(t, tbl, "my-app")
	if r.RuleText != "Host(`my-app`)" || r.Priority != len("Host(`my-app`)") || r.Status != ElementEnabled {
		t.Errorf("default router = %+v", r)
	}
	if !slices.Equal(r.EntryPoints, []string{"web", "websecure"}) || r.TLS != nil {
		t.Errorf("entry points = %v, tls %v", r.EntryPoints, r.TLS)
	}
	if r.Service == nil || r.Service.Name != "my-app" || !r.Service.PassHostHeader {
		t.Fatalf("default service = %+v", r.Service)
	}
	if len(r.Service.Servers) != 2 || len(r.Service.Backends) != 1 || r.Service.Backends[0].URL() != "http://10.0.0.1:8080" {
		t.Errorf("servers = %v backends = %v", r.Service.Servers, r.Service.Backends)
	}
	if got := tbl.Hosts(); len(got) != 1 || !got["my-app"] {
		t.Errorf("hosts = %v", got)
	}
}

func TestBuildExposedByDefault(t *testing.T) {
	svcs := []ServiceInstances{
		{Name: "plain", Instances: []Instance{inst("p1", 80, StatusPassing)}},
		{Name: "on", Instances: []Instance{inst("o1", 80, StatusPassing, "traefik.enable=true")}},
		{Name: "off", Instances: []Instance{inst("f1", 80, StatusPassing, "traefik.enable=false")}},
		{Name: "bad", Instances: []Instance{inst("b1", 80, StatusPassing, "traefik.enable=sure")}},
	}
	for _, tt := range []struct {
		exposed bool
		want    []string
	}{{false, []string{"on"}}, {true, []string{"on", "plain"}}} {
		tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: tt.exposed}, svcs)
		if got := routerNames(tbl.Routers()); !slices.Equal(got, tt.want) {
			t.Errorf("exposedByDefault=%v: routers %v, want %v", tt.exposed, got, tt.want)
		}
		if errs := tbl.Errors(); len(errs) != 1 || !strings.Contains(errs[0].Error(), `"sure" is not a boolean`) {
			t.Errorf("errors = %v", errs)
		}
	}
}

func TestBuildDefaultRuleTemplate(t *testing.T) {
	cfg := Config{EntryPoints: testEPs, ExposedByDefault: true, DefaultRule: "Host(`{{ .Name }}.example.com`) || Host(`{{normalize .Name}}.lan`)"}
	tbl := Build(cfg, []ServiceInstances{{Name: "api.v2", Instances: []Instance{inst("a1", 80, StatusPassing)}}})
	r := routerNamed(t, tbl, "api-v2")
	if r.RuleText != "Host(`api.v2.example.com`) || Host(`api-v2.lan`)" {
		t.Errorf("rule = %s", r.RuleText)
	}
	bad := Build(Config{EntryPoints: testEPs, ExposedByDefault: true, DefaultRule: "Host(`{{ .Tags }}`)"},
		[]ServiceInstances{{Name: "x", Instances: []Instance{inst("a1", 80, StatusPassing)}}})
	if r := routerNamed(t, bad, "x"); r.Status != ElementDisabled || !strings.Contains(strings.Join(r.Errors, ";"), "unsupported template action") {
		t.Errorf("bad default rule router = %+v", r)
	}
}

func TestBuildFullTags(t *testing.T) {
	tags := []string{
		"traefik.enable=true",
		"traefik.http.routers.api.rule=Host(`api.example.com`) && PathPrefix(`/v1`)",
		"traefik.http.routers.api.entrypoints=websecure",
		"traefik.http.routers.api.tls.certresolver=le",
		"traefik.http.routers.api.middlewares=strip,gz@consulcatalog",
		"traefik.http.routers.api.priority=100",
		"traefik.http.routers.redirect.rule=Host(`api.example.com`)",
		"traefik.http.routers.redirect.entrypoints=web",
		"traefik.http.routers.redirect.middlewares=https",
		"traefik.http.services.apisvc.loadbalancer.server.port=9000",
		"traefik.http.services.apisvc.loadbalancer.server.scheme=h2c",
		"traefik.http.services.apisvc.loadbalancer.passhostheader=false",
		"traefik.http.services.apisvc.loadbalancer.sticky.cookie.name=s",
		"traefik.http.middlewares.strip.stripprefix.prefixes=/v1",
		"traefik.http.middlewares.gz.compress=true",
		"traefik.http.middlewares.https.redirectscheme.scheme=https",
		"traefik.http.middlewares.https.redirectscheme.permanent=true",
	}
	tbl := Build(Config{EntryPoints: testEPs}, []ServiceInstances{
		{Name: "api", Instances: []Instance{inst("i1", 20001, StatusPassing, tags...), inst("i2", 20002, StatusWarning, tags...)}},
	})
	if errs := tbl.Errors(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	api := routerNamed(t, tbl, "api")
	if api.Priority != 100 || api.TLS == nil || api.TLS.CertResolver != "le" || !slices.Equal(api.EntryPoints, []string{"websecure"}) {
		t.Errorf("api router = %+v", api)
	}
	if len(api.Middlewares) != 2 || api.Middlewares[0].Config.(*StripPrefix).Prefixes[0] != "/v1" {
		t.Errorf("middlewares = %+v", api.Middlewares)
	}
	if gz := api.Middlewares[1].Config.(*Compress); gz.MinResponseBodyBytes != 1024 {
		t.Errorf("compress defaults = %+v", gz)
	}
	svc := api.Service
	if svc.Name != "apisvc" || svc.PassHostHeader || svc.Sticky == nil || svc.Sticky.Name != "s" {
		t.Errorf("service = %+v", svc)
	}
	if len(svc.Servers) != 2 || svc.Servers[1].URL() != "h2c://10.0.0.2:9000" || len(svc.Backends) != 1 {
		t.Errorf("servers = %+v", svc.Servers)
	}
	redirect := routerNamed(t, tbl, "redirect")
	if redirect.Service != svc || redirect.Middlewares[0].Config.(*RedirectScheme).Scheme != "https" {
		t.Errorf("redirect router = %+v", redirect)
	}
	if len(tbl.Services()) != 1 || len(tbl.Middlewares()) != 3 {
		t.Errorf("services %d, middlewares %d", len(tbl.Services()), len(tbl.Middlewares()))
	}
}

func TestBuildInvalidTagsAreIsolated(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "good", Instances: []Instance{inst("g1", 80, StatusPassing, "traefik.http.routers.good.rule=Host(`good`)")}},
		{Name: "badrule", Instances: []Instance{inst("b1", 80, StatusPassing, "traefik.http.routers.badrule.rule=Host(`x`")}},
		{Name: "badprio", Instances: []Instance{inst("b2", 80, StatusPassing, "traefik.http.routers.badprio.priority=high")}},
		{Name: "badmw", Instances: []Instance{inst("b3", 80, StatusPassing,
			"traefik.http.routers.badmw.middlewares=nope,broken,half",
			"traefik.http.middlewares.broken.forwardauth.address=x",
			"traefik.http.middlewares.half.redirectscheme.permanent=true")}},
		{Name: "badsvc", Instances: []Instance{inst("b4", 80, StatusPassing,
			"traefik.http.services.badsvc.loadbalancer.server.port=abc")}},
		{Name: "badref", Instances: []Instance{inst("b5", 80, StatusPassing,
			"traefik.http.routers.badref.service=missing@file", "traefik.http.routers.badref.entrypoints=nowhere")}},
	})
	good := routerNamed(t, tbl, "good")
	if good.Status != ElementEnabled {
		t.Errorf("good router = %+v", good)
	}
	wantErr := map[string][]string{
		"badrule": {`column 9: expected ")"`},
		"badprio": {`priority: "high" is not an integer`},
		"badmw":   {`middleware "nope" does not exist`, `middleware "broken" is disabled`, `middleware "half" is disabled`},
		"badsvc":  {`service "badsvc" is disabled`},
		"badref":  {`provider "file" does not exist`, `entry point "nowhere" does not exist`, "no usable entry point"},
	}
	for name, wants := range wantErr {
		r := routerNamed(t, tbl, name)
		if r.Status != ElementDisabled {
			t.Errorf("router %s status %s", name, r.Status)
		}
		for _, w := range wants {
			if !strings.Contains(strings.Join(r.Errors, "\n"), w) {
				t.Errorf("router %s errors %q lack %q", name, r.Errors, w)
			}
		}
	}
	for _, m := range tbl.Middlewares() {
		if m.Status != ElementDisabled {
			t.Errorf("middleware %s status %s", m.Name, m.Status)
		}
	}
	if eps := routerNames(tbl.EntryPointRouters("web")); !slices.Equal(eps, []string{"good"}) {
		t.Errorf("web routers = %v", eps)
	}
	for _, err := range tbl.Errors() {
		if !errors.Is(err, ErrInvalidTag) && !errors.Is(err, ErrReference) {
			t.Errorf("error %v wraps no sentinel", err)
		}
	}
	if hosts := tbl.Hosts(); len(hosts) != 1 || !hosts["good"] {
		t.Errorf("hosts = %v", hosts)
	}
}

func TestBuildPriorityOrderAndMatch(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs}, []ServiceInstances{
		{Name: "site", Instances: []Instance{inst("s1", 80, StatusPassing, "traefik.enable=true",
			"traefik.http.routers.site.rule=Host(`example.com`)")}},
		{Name: "api", Instances: []Instance{inst("a1", 80, StatusPassing, "traefik.enable=true",
			"traefik.http.routers.api.rule=Host(`example.com`) && PathPrefix(`/api`)")}},
		{Name: "zz", Instances: []Instance{inst("z1", 80, StatusPassing, "traefik.enable=true",
			"traefik.http.routers.zz.rule=PathPrefix(`/`)", "traefik.http.routers.zz.priority=1")}},
		{Name: "aa", Instances: []Instance{inst("x1", 80, StatusPassing, "traefik.enable=true",
			"traefik.http.routers.aa.rule=PathPrefix(`/`)", "traefik.http.routers.aa.priority=1")}},
		{Name: "sec", Instances: []Instance{inst("c1", 80, StatusPassing, "traefik.enable=true",
			"traefik.http.routers.sec.rule=Host(`secure.example.com`)", "traefik.http.routers.sec.tls=true")}},
	})
	if got := routerNames(tbl.EntryPointRouters("web")); !slices.Equal(got, []string{"api", "site", "aa", "zz"}) {
		t.Errorf("web order = %v", got)
	}
	if got := routerNames(tbl.EntryPointRouters("websecure")); !slices.Equal(got, []string{"api", "sec", "site", "aa", "zz"}) {
		t.Errorf("websecure order = %v", got)
	}
	ip := netip.MustParseAddr("192.0.2.1")
	for _, tt := range []struct{ ep, host, path, want string }{
		{"web", "example.com", "/api/x", "api"},
		{"web", "EXAMPLE.com:80", "/", "site"},
		{"web", "other", "/", "aa"},
		{"web", "secure.example.com", "/", "aa"},
		{"websecure", "secure.example.com", "/", "sec"},
		{"nope", "example.com", "/", ""},
	} {
		r := tbl.MatchRequest(tt.ep, Request{Host: tt.host, Path: tt.path, Method: "GET"}, ip)
		got := ""
		if r != nil {
			got = r.Name
		}
		if got != tt.want {
			t.Errorf("Match(%s, %s%s) = %q, want %q", tt.ep, tt.host, tt.path, got, tt.want)
		}
	}
}

func TestBuildMergeAcrossInstances(t *testing.T) {
	v1 := "traefik.http.routers.web.rule=Host(`v1`)"
	v2 := "traefik.http.routers.web.rule=Host(`v2`)"
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "web", Instances: []Instance{
			inst("a1", 80, StatusPassing, v1), inst("a2", 80, StatusCritical, v1),
			inst("b1", 80, StatusPassing, v2), inst("b2", 80, StatusPassing, v2),
		}},
	})
	r := routerNamed(t, tbl, "web")
	if r.RuleText != "Host(`v2`)" || r.Status != ElementWarning || len(r.Service.Servers) != 4 {
		t.Errorf("rolling update router = %+v", r)
	}
	if !strings.Contains(strings.Join(r.Errors, ""), `ignoring instances "a1", "a2"`) {
		t.Errorf("warning = %v", r.Errors)
	}

	shared := "traefik.http.middlewares.https.redirectscheme.scheme=https"
	clash := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "one", Instances: []Instance{inst("o1", 80, StatusPassing, shared, "traefik.http.routers.x.rule=Host(`one`)")}},
		{Name: "two", Instances: []Instance{inst("t1", 80, StatusPassing, shared, "traefik.http.routers.x.rule=Host(`two`)")}},
	})
	x := routerNamed(t, clash, "x")
	if x.Status != ElementDisabled || !strings.Contains(strings.Join(x.Errors, ""), `services "one", "two"`) {
		t.Errorf("conflicting router = %+v", x)
	}
	if m := clash.Middlewares(); len(m) != 1 || m[0].Status != ElementEnabled || !slices.Equal(m[0].Sources, []string{"one", "two"}) {
		t.Errorf("shared middleware = %+v", m)
	}
	found := false
	for _, err := range clash.Errors() {
		found = found || errors.Is(err, ErrConflict)
	}
	if !found {
		t.Errorf("no ErrConflict in %v", clash.Errors())
	}
}

func TestBuildHostsAndHealth(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true, WarningIsBackend: true}, []ServiceInstances{
		{Name: "up", Instances: []Instance{inst("u1", 80, StatusWarning)}},
		{Name: "down", Instances: []Instance{inst("d1", 80, StatusCritical, "traefik.http.routers.down.rule=Host(`down.lan`) || Host(`also.lan`) && !Host(`not.lan`)")}},
	})
	want := map[string]bool{"up": true, "down.lan": false, "also.lan": false}
	got := tbl.Hosts()
	if len(got) != len(want) {
		t.Fatalf("hosts = %v", got)
	}
	for h, ok := range want {
		if got[h] != ok {
			t.Errorf("host %s = %v, want %v", h, got[h], ok)
		}
	}
	got["x"] = true
	if tbl.Hosts()["x"] {
		t.Error("Hosts returned the table's own map")
	}
}

func TestBuildNoPortAndMultipleServices(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "noport", Instances: []Instance{inst("n1", 0, StatusPassing)}},
		{Name: "multi", Instances: []Instance{inst("m1", 80, StatusPassing,
			"traefik.http.services.s1.loadbalancer.server.port=81",
			"traefik.http.services.s2.loadbalancer.server.port=82",
			"traefik.http.routers.r.rule=Host(`m`)")}},
	})
	if r := routerNamed(t, tbl, "noport"); r.Service.Status != ElementWarning || len(r.Service.Servers) != 0 || tbl.Hosts()["noport"] {
		t.Errorf("noport router = %+v", r)
	}
	if r := routerNamed(t, tbl, "r"); r.Status != ElementDisabled || !strings.Contains(r.Errors[0], "defines 2 services") {
		t.Errorf("multi router = %+v", r)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{EntryPoints: testEPs}).Validate(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	err := Config{EntryPoints: []EntryPoint{{Name: "a"}, {Name: "a"}, {Name: ""}}, DefaultRule: "Host(`{{ .Name }}`"}.Validate()
	for _, w := range []string{`"a" defined twice`, `entry point name ""`, "default rule"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want %q", err, w)
		}
	}
	if err := (Config{}).Validate(); err == nil {
		t.Error("empty config should not validate")
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"web": "web", "my_app.v2": "my-app-v2", "--a__b--": "a-b", "Ünï": "Ünï"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNilTable(t *testing.T) {
	var tbl *Table
	if tbl.MatchRequest("web", Request{Host: "a"}, netip.Addr{}) != nil || len(tbl.Hosts()) != 0 {
		t.Error("nil table should match nothing")
	}
}

func TestBuildConnectTag(t *testing.T) {
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "mesh", Instances: []Instance{inst("m1", 8443, StatusPassing, "traefik.consulcatalog.connect=true",
			"traefik.http.services.mesh.loadbalancer.server.scheme=h2c")}},
		{Name: "plain", Instances: []Instance{inst("p1", 8080, StatusPassing, "traefik.consulcatalog.connect=false")}},
		{Name: "typo", Instances: []Instance{inst("t1", 8080, StatusPassing, "traefik.consulcatalog.connect=maybe")}},
	})
	for _, c := range []struct {
		router, url string
		connect     bool
	}{
		{"mesh", "https://10.0.0.1:8443", true}, // connect wins over the scheme tag: Connect is TLS
		{"plain", "http://10.0.0.1:8080", false},
		{"typo", "http://10.0.0.1:8080", false},
	} {
		r := routerNamed(t, tbl, c.router)
		if len(r.Service.Backends) != 1 {
			t.Fatalf("%s: backends %v", c.router, r.Service.Backends)
		}
		if b := r.Service.Backends[0]; b.Connect != c.connect || b.URL() != c.url {
			t.Errorf("%s: Connect %v URL %s, want %v %s", c.router, b.Connect, b.URL(), c.connect, c.url)
		}
	}
	if msg := fmt.Sprint(tbl.Errors()); !strings.Contains(msg, "traefik.consulcatalog.connect=maybe") {
		t.Errorf("a malformed connect tag is not reported: %s", msg)
	}
	if err := CheckTag("traefik.consulcatalog.connect=true"); err != nil {
		t.Errorf("CheckTag: %v", err)
	}
}
