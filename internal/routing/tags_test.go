package routing

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckTag(t *testing.T) {
	const hash = "$2y$05$DrFDqFjJrJZdJZTrjrQ6NOnfAkz.BU1M/TJO6Ja5yqg3lJwmqmAJS"
	valid := []string{
		"",
		"web",
		"urlprefix-/x",
		"traefikfoo=bar",
		"traefik.enable=true",
		"Traefik.Enable=false",
		"traefik.http.routers.api.rule=Host(`api.example.com`) && PathPrefix(`/v1`)",
		"traefik.http.routers.api.rulesyntax=v3",
		"traefik.http.routers.api.entrypoints=web, websecure",
		"traefik.http.routers.api.middlewares=auth,gz@consulcatalog",
		"traefik.http.routers.api.service=api-svc",
		"traefik.http.routers.api.priority=42",
		"traefik.http.routers.api.tls=true",
		"traefik.http.routers.api.TLS.CertResolver=le",
		"traefik.http.routers.api.tls.options=modern",
		"traefik.http.routers.api.tls.domains[0].main=example.com",
		"traefik.http.routers.api.tls.domains[1].sans=a.example.com,b.example.com",
		"traefik.http.services.api-svc.loadbalancer.server.port=8080",
		"traefik.http.services.api-svc.loadbalancer.server.scheme=https",
		"traefik.http.services.api-svc.loadbalancer.passhostheader=false",
		"traefik.http.services.api-svc.loadbalancer.strategy=wrr",
		"traefik.http.services.api-svc.loadbalancer.strategy=P2C",
		"traefik.http.services.api-svc.loadbalancer.sticky.cookie=true",
		"traefik.http.services.api-svc.loadbalancer.sticky.cookie.name=srv",
		"traefik.http.services.api-svc.loadbalancer.sticky.cookie.secure=true",
		"traefik.http.services.api-svc.loadbalancer.sticky.cookie.httponly=true",
		"traefik.http.services.api-svc.loadbalancer.sticky.cookie.samesite=lax",
		"traefik.http.middlewares.https.redirectscheme.scheme=https",
		"traefik.http.middlewares.https.redirectscheme.port=443",
		"traefik.http.middlewares.https.redirectscheme.permanent=true",
		"traefik.http.middlewares.strip.stripprefix.prefixes=/a,/b",
		"traefik.http.middlewares.add.addprefix.prefix=/api",
		"traefik.http.middlewares.h.headers.customrequestheaders.X-Script-Name=test",
		"traefik.http.middlewares.h.headers.customresponseheaders.X-Powered-By=",
		"traefik.http.middlewares.auth.basicauth.users=test:" + hash + ",other:" + hash,
		"traefik.http.middlewares.auth.basicauth.realm=orbit",
		"traefik.http.middlewares.auth.basicauth.removeheader=true",
		"traefik.http.middlewares.allow.ipallowlist.sourcerange=127.0.0.1/32, 192.168.1.7, ::1",
		"traefik.http.middlewares.rl.ratelimit.average=100",
		"traefik.http.middlewares.rl.ratelimit.burst=50",
		"traefik.http.middlewares.rl.ratelimit.period=1m",
		"traefik.http.middlewares.rl.ratelimit.period=10",
		"traefik.http.middlewares.retry.retry.attempts=4",
		"traefik.http.middlewares.retry.retry.initialinterval=100ms",
		"traefik.http.middlewares.gz.compress=true",
		"traefik.http.middlewares.gz.compress.excludedcontenttypes=text/event-stream",
		"traefik.http.middlewares.gz.compress.minresponsebodybytes=2048",
	}
	for _, tag := range valid {
		if err := CheckTag(tag); err != nil {
			t.Errorf("CheckTag(%q) = %v, want nil", tag, err)
		}
	}
	invalid := []struct{ tag, want string }{
		{"traefik.http.services.s.loadbalancer.strategy=random", `expected wrr or p2c`},
		{"traefik.enable", `missing "=value"`},
		{"traefik.enable=yes", `"yes" is not a boolean`},
		{"traefik.foo=bar", "unknown tag"},
		{"traefik.http.routers.api=x", "unknown tag"},
		{"traefik.tcp.routers.db.rule=HostSNI(`*`)", "TCP and UDP routing are not supported"},
		{"traefik.http.routers.a@file.rule=Host(`a`)", `invalid name "a@file"`},
		{"traefik.http.routers..rule=Host(`a`)", `invalid name ""`},
		{"traefik.http.things.a.rule=Host(`a`)", `unknown section "things"`},
		{"traefik.http.routers.api.rule=Host(`a`", "column 9: expected \")\""},
		{"traefik.http.routers.api.rule=Hots(`a`)", `unknown matcher "Hots"`},
		{"traefik.http.routers.api.rulesyntax=v2", "v3 syntax only"},
		{"traefik.http.routers.api.priority=high", `priority: "high" is not an integer`},
		{"traefik.http.routers.api.priority=-1", "negative"},
		{"traefik.http.routers.api.tls=maybe", "tls:"},
		{"traefik.http.routers.api.tls.domains[x].main=a", "invalid index"},
		{"traefik.http.routers.api.tls.domains[0].other=a", `unknown router option "tls.domains[0].other"`},
		{"traefik.http.routers.api.tls.foo=a", `unknown router option "tls.foo"`},
		{"traefik.http.routers.api.ruel=Host(`a`)", `unknown router option "ruel"`},
		{"traefik.http.services.s.loadbalancer.server.port=http", `"http" is not an integer`},
		{"traefik.http.services.s.loadbalancer.server.port=70000", "outside 1-65535"},
		{"traefik.http.services.s.loadbalancer.server.scheme=ftp", `scheme "ftp"`},
		{"traefik.http.services.s.loadbalancer.sticky.cookie.samesite=sometimes", "samesite"},
		{"traefik.http.services.s.loadbalancer.healthcheck.path=/health", `unknown service option "loadbalancer.healthcheck.path"`},
		{"traefik.http.services.s.port=80", "unknown service option"},
		{"traefik.http.middlewares.m.forwardauth.address=http://a", `unknown middleware type "forwardauth"`},
		{"traefik.http.middlewares.m.ipwhitelist.sourcerange=10.0.0.0/8", "use ipallowlist"},
		{"traefik.http.middlewares.m.redirectscheme.shceme=https", `unknown redirectscheme option "shceme"`},
		{"traefik.http.middlewares.m.redirectscheme.port=x", "not an integer"},
		{"traefik.http.middlewares.m.redirectscheme.permanent=sure", "not a boolean"},
		{"traefik.http.middlewares.m.addprefix.prefix=api", `does not start with "/"`},
		{"traefik.http.middlewares.m.headers.customrequestheaders=x", "unknown headers option"},
		{"traefik.http.middlewares.m.headers.sslredirect=true", "unknown headers option"},
		{"traefik.http.middlewares.m.basicauth.users=test:plain", "not bcrypt"},
		{"traefik.http.middlewares.m.basicauth.users=nocolon", "is not name:hash"},
		{"traefik.http.middlewares.m.basicauth.usersfile=/etc/users", "not supported"},
		{"traefik.http.middlewares.m.ipallowlist.sourcerange=10.0.0.0/40", "invalid CIDR"},
		{"traefik.http.middlewares.m.ratelimit.average=fast", "not an integer"},
		{"traefik.http.middlewares.m.ratelimit.period=soon", "not a duration"},
		{"traefik.http.middlewares.m.retry.attempts=-2", "negative"},
		{"traefik.http.middlewares.m.retry.initialinterval=-1s", "negative"},
		{"traefik.http.middlewares.m.compress=false", "expected an option"},
		{"traefik.http.middlewares.m.compress.level=9", `unknown compress option "level"`},
	}
	for _, tt := range invalid {
		err := CheckTag(tt.tag)
		if err == nil {
			t.Errorf("CheckTag(%q) = nil, want error containing %q", tt.tag, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("CheckTag(%q)\n got %v\nwant substring %s", tt.tag, err, tt.want)
		}
		if !errors.Is(err, ErrInvalidTag) {
			t.Errorf("CheckTag(%q) does not wrap ErrInvalidTag", tt.tag)
		}
	}
}

func TestParseTagsIsolatesErrors(t *testing.T) {
	ts := parseTags([]string{
		"traefik.http.routers.good.rule=Host(`good`)",
		"traefik.http.routers.bad.rule=Host(`bad`",
		"traefik.http.middlewares.m.redirectscheme.scheme=https",
		"traefik.http.middlewares.m.stripprefix.prefixes=/a",
		"traefik.whatever=1",
	})
	if ts.routers["good"].Rule != "Host(`good`)" || len(ts.errs[elemKey{kindRouter, "good"}]) != 0 {
		t.Errorf("good router: %+v %v", ts.routers["good"], ts.errs)
	}
	if len(ts.errs[elemKey{kindRouter, "bad"}]) != 1 {
		t.Errorf("bad router errors = %v", ts.errs)
	}
	if e := ts.errs[elemKey{kindMiddleware, "m"}]; len(e) != 1 || !strings.Contains(e[0], "cannot also be stripprefix") {
		t.Errorf("middleware errors = %v", e)
	}
	if len(ts.loose) != 1 {
		t.Errorf("loose errors = %v", ts.loose)
	}
}
