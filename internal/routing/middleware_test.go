package routing

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// buildMiddleware parses the tags of one instance and returns middleware m
// after defaults, or the error that disabled it.
func buildMiddleware(t *testing.T, tags ...string) (MiddlewareConfig, string) {
	t.Helper()
	tags = append(tags, "traefik.http.routers.r.rule=Path(`/`)", "traefik.http.routers.r.middlewares=m")
	tbl := Build(Config{EntryPoints: testEPs, ExposedByDefault: true}, []ServiceInstances{
		{Name: "s", Instances: []Instance{inst("i1", 80, StatusPassing, tags...)}},
	})
	for _, m := range tbl.Middlewares() {
		if m.Name == "m" {
			return m.Config, strings.Join(m.Errors, "; ")
		}
	}
	t.Fatalf("no middleware m: %v", tbl.Errors())
	return nil, ""
}

func TestMiddlewareDefaultsAndRequired(t *testing.T) {
	const hash = "$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W"
	cfg, errs := buildMiddleware(t, "traefik.http.middlewares.m.basicauth.users=u:"+hash)
	if ba := cfg.(*BasicAuth); errs != "" || ba.Realm != "traefik" || ba.Users[0].Name != "u" {
		t.Errorf("basicauth = %+v, %s", cfg, errs)
	}
	cfg, _ = buildMiddleware(t, "traefik.http.middlewares.m.ratelimit.average=10")
	if rl := cfg.(*RateLimit); rl.Burst != 1 || rl.Period != time.Second || rl.Average != 10 {
		t.Errorf("ratelimit = %+v", rl)
	}
	cfg, _ = buildMiddleware(t, "traefik.http.middlewares.m.retry.attempts=3", "traefik.http.middlewares.m.retry.initialinterval=2")
	if r := cfg.(*Retry); r.Attempts != 3 || r.InitialInterval != 2*time.Second {
		t.Errorf("retry = %+v", r)
	}
	cfg, _ = buildMiddleware(t,
		"traefik.http.middlewares.m.headers.customrequestheaders.X-Env=prod",
		"traefik.http.middlewares.m.headers.customresponseheaders.Server=")
	if h := cfg.(*Headers); h.CustomRequestHeaders["X-Env"] != "prod" || h.CustomResponseHeaders["Server"] != "" || len(h.CustomResponseHeaders) != 1 {
		t.Errorf("headers = %+v", h)
	}
	cfg, _ = buildMiddleware(t, "traefik.http.middlewares.m.ipallowlist.sourcerange=10.0.0.0/8,::1")
	allow := cfg.(*IPAllowList)
	for ip, want := range map[string]bool{"10.2.3.4": true, "::ffff:10.2.3.4": true, "::1": true, "11.0.0.1": false} {
		if got := allow.Allows(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Allows(%s) = %v", ip, got)
		}
	}
	for tag, want := range map[string]string{
		"traefik.http.middlewares.m.redirectscheme.permanent=true": "needs a scheme",
		"traefik.http.middlewares.m.stripprefix.prefixes=":         "needs prefixes",
		"traefik.http.middlewares.m.basicauth.realm=x":             "needs users",
		"traefik.http.middlewares.m.ipallowlist.sourcerange= ,":    "needs a sourcerange",
		"traefik.http.middlewares.m.retry.initialinterval=1s":      "attempts of at least 1",
		"traefik.http.middlewares.m.addprefix=true":                "needs a prefix",
	} {
		if _, errs := buildMiddleware(t, tag); !strings.Contains(errs, want) {
			t.Errorf("%s: errors %q, want %q", tag, errs, want)
		}
	}
}
