package importer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/routing"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tagsOf returns the tags of the instances of service, requiring every
// instance to carry the same ones.
func tagsOf(t *testing.T, p *Plan, service string) []string {
	t.Helper()
	var tags []string
	n := 0
	for _, in := range p.Instances {
		if in.Name != service {
			continue
		}
		if n > 0 && !slices.Equal(tags, in.Tags) {
			t.Fatalf("instances of %s disagree on tags: %v vs %v", service, tags, in.Tags)
		}
		tags = in.Tags
		n++
	}
	if n == 0 {
		t.Fatalf("no instances of %s", service)
	}
	return tags
}

func checkOf(t *testing.T, p *Plan, in *catalog.Instance) *catalog.Check {
	t.Helper()
	for _, c := range p.Checks {
		if c.Node == in.Node && c.ServiceID == in.ID {
			return c
		}
	}
	t.Fatalf("instance %s has no check", in.ID)
	return nil
}

func unmappedAt(p *Plan, line int, substr string) bool {
	for _, u := range p.Unmapped {
		if u.Line == line && strings.Contains(u.What, substr) {
			return true
		}
	}
	return false
}

// The standard's bad example becomes one service with two health-checked
// instances on two external nodes, and a router.
func TestNginxBadExample(t *testing.T) {
	p, err := PlanNginx("bad-example.conf", readFixture(t, "nginx/bad-example.conf"), NginxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Nodes) != 2 || len(p.Instances) != 2 || len(p.Checks) != 2 {
		t.Fatalf("want 2 nodes, 2 instances, 2 checks; got %d, %d, %d", len(p.Nodes), len(p.Instances), len(p.Checks))
	}
	for i, want := range []string{"192.168.1.10", "192.168.1.11"} {
		n, in := p.Nodes[i], p.Instances[i]
		if n.Address != want || n.Meta[MetaExternalNode] != "true" || n.Meta[MetaExternalProbe] != "true" {
			t.Errorf("node %d = %+v", i, n)
		}
		if in.Name != "app" || in.Address != want || in.Port != 8080 || in.Node != n.Name {
			t.Errorf("instance %d = %+v", i, in)
		}
		c := checkOf(t, p, in)
		if c.Definition.TCP != want+":8080" || c.Definition.Interval != DefaultInterval || c.Status != catalog.Critical {
			t.Errorf("check %d = %+v", i, c)
		}
		if err := n.Validate(); err != nil {
			t.Error(err)
		}
		if err := in.Validate(); err != nil {
			t.Error(err)
		}
	}
	want := []string{"traefik.enable=true", "traefik.http.routers.app.rule=Host(`app.lab.local`)"}
	if got := tagsOf(t, p, "app"); !slices.Equal(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	if !unmappedAt(p, 7, `no server block routes to upstream "app"`) {
		t.Fatalf("unmapped = %v", p.Unmapped)
	}
}

func TestNginxHomelab(t *testing.T) {
	p, err := PlanNginx("homelab.conf", readFixture(t, "nginx/homelab.conf"), NginxOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		service string
		tags    []string
	}{
		{"grafana", []string{
			"traefik.enable=true",
			"traefik.http.routers.grafana-2.entrypoints=websecure",
			"traefik.http.routers.grafana-2.rule=(Host(`grafana.lab.local`) || Host(`grafana.lab`)) && PathPrefix(`/api/live/`)",
			"traefik.http.routers.grafana-2.tls=true",
			"traefik.http.routers.grafana.entrypoints=websecure",
			"traefik.http.routers.grafana.rule=Host(`grafana.lab.local`) || Host(`grafana.lab`)",
			"traefik.http.routers.grafana.tls=true",
		}},
		{"truenas_web", []string{
			"traefik.enable=true",
			"traefik.http.routers.truenas-web.entrypoints=web",
			"traefik.http.routers.truenas-web.rule=Host(`nas.lab.local`)",
		}},
		{"nas-pbs", []string{
			"traefik.enable=true",
			"traefik.http.middlewares.nas-pbs-strip.stripprefix.prefixes=/pbs",
			"traefik.http.routers.nas-pbs.entrypoints=web",
			"traefik.http.routers.nas-pbs.middlewares=nas-pbs-strip",
			"traefik.http.routers.nas-pbs.rule=Host(`nas.lab.local`) && PathPrefix(`/pbs/`)",
		}},
	}
	for _, tc := range cases {
		if got := tagsOf(t, p, tc.service); !slices.Equal(got, tc.tags) {
			t.Errorf("%s tags:\n got  %q\n want %q", tc.service, got, tc.tags)
		}
	}
	for _, in := range p.Instances {
		if in.Name == "grafana" && in.Address == "192.168.30.22" && in.Weights.Passing != 2 {
			t.Errorf("weight=2 not kept: %+v", in.Weights)
		}
	}
	for _, u := range []struct {
		line int
		what string
	}{{23, "least_conn"}, {30, "redirect_to"}, {36, "ssl_certificate"}, {65, "proxies nowhere"}, {66, "fastcgi_pass"}} {
		if !unmappedAt(p, u.line, u.what) {
			t.Errorf("no unmapped %q at line %d in %v", u.what, u.line, p.Unmapped)
		}
	}
	if len(p.Unmapped) != 6 {
		t.Errorf("want 6 unmapped, got %v", p.Unmapped)
	}
	assertTagsBuild(t, p)
}

// assertTagsBuild feeds the plan's instances to the edge's route builder:
// every router it names must come out without errors.
func assertTagsBuild(t *testing.T, p *Plan) {
	t.Helper()
	for _, in := range p.Instances {
		for _, tag := range in.Tags {
			if err := routing.CheckTag(tag); err != nil {
				t.Errorf("instance %s: %v", in.ID, err)
			}
		}
	}
}

func TestNginxLocations(t *testing.T) {
	cases := []struct {
		name, conf string
		rule       string
		unmapped   string
	}{
		{"exact", "location = /healthz { proxy_pass http://up; }", "Host(`a.lab`) && Path(`/healthz`)", ""},
		{"regexp", "location ~* \\.(png|jpg)$ { proxy_pass http://up; }", "Host(`a.lab`) && PathRegexp(`(?i)\\.(png|jpg)$`)", ""},
		{"wildcard name", "server_name *.lab.local; location / { proxy_pass http://up; }", "Host(`a.lab`) || HostRegexp(`^[^.]+\\.lab\\.local$`)", ""},
		{"variable target", "location / { proxy_pass http://$backend; }", "", "built from variables"},
		{"rewrite", "location /x/ { proxy_pass http://up/y/; }", "Host(`a.lab`) && PathPrefix(`/x/`)", "rewriting /x/ to /y/"},
		{"named", "location @fallback { proxy_pass http://up; }", "", "named locations"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := "http { upstream up { server 10.0.0.1:80; }\n server { listen 80; server_name a.lab;\n" + tc.conf + "\n} }"
			p, err := PlanNginx("t.conf", []byte(src), NginxOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tags := tagsOf(t, p, "up")
			if tc.rule != "" && !slices.Contains(tags, "traefik.http.routers.up.rule="+tc.rule) {
				t.Errorf("tags %q lack rule %s", tags, tc.rule)
			}
			found := tc.unmapped == ""
			for _, u := range p.Unmapped {
				found = found || strings.Contains(u.What, tc.unmapped)
			}
			if !found {
				t.Errorf("unmapped %v lacks %q", p.Unmapped, tc.unmapped)
			}
		})
	}
}

func TestNginxSyntaxErrorIsFileLineCol(t *testing.T) {
	_, err := PlanNginx("x.conf", []byte("http {\n upstream a {\n  server 10.0.0.1:80\n }\n}"), NginxOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "x.conf:4:2: ") {
		t.Fatalf("err = %v", err)
	}
}

func TestTraefikYAMLAndTOML(t *testing.T) {
	yml, err := PlanTraefik("dynamic.yml", readFixture(t, "traefik/dynamic.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tagsOf(t, yml, "grafana"), []string{
		"traefik.enable=true",
		"traefik.http.routers.grafana.entrypoints=websecure",
		"traefik.http.routers.grafana.middlewares=secure-headers",
		"traefik.http.routers.grafana.rule=Host(`grafana.lab.local`)",
		"traefik.http.routers.grafana.tls.certresolver=lab",
		"traefik.http.routers.grafana.tls.options=modern",
		"traefik.http.routers.grafana.tls=true",
	}; !slices.Equal(got, want) {
		t.Errorf("grafana tags:\n got  %q\n want %q", got, want)
	}
	if got, want := tagsOf(t, yml, "truenas"), []string{
		"traefik.enable=true",
		"traefik.http.middlewares.lan-only.ipAllowList.sourceRange=192.168.30.0/24,192.168.10.0/24",
		"traefik.http.routers.truenas.entrypoints=web",
		"traefik.http.routers.truenas.middlewares=lan-only",
		"traefik.http.routers.truenas.rule=Host(`nas.lab.local`) && PathPrefix(`/`)",
	}; !slices.Equal(got, want) {
		t.Errorf("truenas tags:\n got  %q\n want %q", got, want)
	}
	for _, in := range yml.Instances {
		c := checkOf(t, yml, in)
		if in.Name == "grafana" && (c.Definition.HTTP != "http://"+in.Address+":3000/api/health" || c.Definition.Timeout != 3*time.Second) {
			t.Errorf("grafana check = %+v", c.Definition)
		}
		if in.Name == "truenas" && c.Definition.TCP != "192.168.30.6:80" {
			t.Errorf("truenas check = %+v", c.Definition)
		}
	}
	for _, u := range []struct {
		line int
		what string
	}{{20, `router "dashboard"`}, {38, "sticky"}, {40, `"canary" (weighted)`}, {47, `unknown headers option "frameDeny"`},
		{56, `"unused-auth" is used by no router`}, {66, "tcp section"}, {62, "tls.options"}} {
		if !unmappedAt(yml, u.line, u.what) {
			t.Errorf("no unmapped %q at line %d in %v", u.what, u.line, yml.Unmapped)
		}
	}
	assertTagsBuild(t, yml)

	tml, err := PlanTraefik("dynamic.toml", readFixture(t, "traefik/dynamic.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tagsOf(t, tml, "pbs"), []string{
		"traefik.enable=true",
		"traefik.http.middlewares.strip-api.stripPrefix.prefixes=/api",
		"traefik.http.routers.pbs.entrypoints=websecure",
		"traefik.http.routers.pbs.middlewares=strip-api",
		"traefik.http.routers.pbs.rule=Host(`pbs.lab.local`)",
		"traefik.http.routers.pbs.tls=true",
	}; !slices.Equal(got, want) {
		t.Errorf("pbs tags:\n got  %q\n want %q", got, want)
	}
	if c := checkOf(t, tml, tml.Instances[0]); c.Definition.HTTP != "http://192.168.30.200:8007/" || c.Definition.Interval != 15*time.Second {
		t.Errorf("pbs check = %+v", c.Definition)
	}
	if !unmappedAt(tml, 19, "udp section") || len(tml.Unmapped) != 1 {
		t.Errorf("unmapped = %v", tml.Unmapped)
	}
}

func TestTraefikBadInput(t *testing.T) {
	for name, src := range map[string]string{"bad.yml": "http: [unclosed", "bad.toml": "[http\nx = 1"} {
		if _, err := PlanTraefik(name, []byte(src)); err == nil || !strings.HasPrefix(err.Error(), name+":") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestHosts(t *testing.T) {
	p, err := PlanHosts("hosts", readFixture(t, "hosts/hosts"), "lab.local")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Records) != 1 || p.Records[0].Zone != "lab.local" {
		t.Fatalf("records = %+v", p.Records)
	}
	var got []string
	for _, s := range p.Records[0].Sets {
		got = append(got, s.Name+" "+s.Type+" "+strings.Join(s.Records, ","))
	}
	want := []string{
		"grafana.lab.local. A 192.168.30.21,192.168.30.22",
		"nas.lab.local. A 192.168.30.6",
		"pbs.lab.local. A 192.168.30.200",
		"pve1.lab.local. A 192.168.30.10",
		"pve2.lab.local. A 192.168.30.11",
		"truenas.lab.local. A 192.168.30.6",
		"truenas.lab.local. AAAA fd00:30::6",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sets:\n got  %q\n want %q", got, want)
	}
	if !unmappedAt(p, 14, "outside zone") || !unmappedAt(p, 15, "not an IP address") || len(p.Unmapped) != 2 {
		t.Fatalf("unmapped = %v", p.Unmapped)
	}
}
