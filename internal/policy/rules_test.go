package policy

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/jobspec"
)

// baseJob follows every rule. Cases change one thing in it with the
// placeholders: GROUP (group attributes), PORT (port block body), TAGS
// (service tags), CHECK (check body), IDENT (service identity block),
// IMAGE, ENV (env body), TEMPLATE (template data) and RES (resources body).
const baseJob = `job "app" {
  @JOBMETA@
  group "app" {
    count = 2
    @GROUP@
    network {
      port "http" {
        @PORT@
      }
    }
    service {
      name = "app"
      port = "http"
      tags = [@TAGS@]
      check {
        type = "http"
        path = "/health"
        @CHECK@
      }
      @IDENT@
    }
    task "app" {
      driver = "docker"
      config {
        image = @IMAGE@
        args  = [@ARGS@]
      }
      env {
        @ENV@
      }
      template {
        data        = <<EOT
@TEMPLATE@
EOT
        destination = "local/app.conf"
      }
      resources {
        @RES@
      }
    }
  }
}
`

var baseFill = map[string]string{
	"JOBMETA":  "",
	"GROUP":    "",
	"PORT":     "",
	"TAGS":     `"traefik.enable=true", "traefik.http.routers.app.rule=Host(` + "`app.lab`" + `)"`,
	"CHECK":    "interval = \"10s\"\n        timeout = \"2s\"",
	"IDENT":    "identity {\n        aud = [\"consul.io\"]\n      }",
	"IMAGE":    `"app:1.0.0"`,
	"ARGS":     `"--port", "${NOMAD_PORT_http}"`,
	"ENV":      `DB_HOST = "db.service.consul"`,
	"TEMPLATE": `user = "{{ key "app/user" }}"`,
	"RES":      "cpu = 100\n        memory = 64",
}

func render(changes map[string]string) string {
	src := baseJob
	for k, v := range baseFill {
		if c, ok := changes[k]; ok {
			v = c
		}
		src = strings.ReplaceAll(src, "@"+k+"@", v)
	}
	return src
}

func check(t *testing.T, src string, cfg Config) []Finding {
	t.Helper()
	j, err := jobspec.Parse("t.nomad.hcl", []byte(src), jobspec.Options{})
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return Check(j, cfg)
}

func summary(fs []Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%s/%s", f.Rule, f.Severity))
	}
	return strings.Join(out, " ")
}

func TestRules(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		want    string // rule/severity of each finding, in order; "" for none
		msg     string // a fragment of the first finding's message
	}{
		{"base job is clean", nil, "", ""},
		{"static port 8080", map[string]string{"PORT": "static = 8080"}, "dynamic-ports/error", "remove static"},
		{"static port 443 allowed", map[string]string{"PORT": "static = 443"}, "", ""},
		{"port with to only", map[string]string{"PORT": "to = 8080"}, "", ""},
		{"check without interval", map[string]string{"CHECK": `timeout = "2s"`}, "check-timing/error", "no interval"},
		{"check without timeout", map[string]string{"CHECK": `interval = "2s"`}, "check-timing/error", "no timeout"},
		{"timeout equals interval", map[string]string{"CHECK": "interval = \"5s\"\n timeout = \"5s\""}, "check-timing/error", "not shorter"},
		{"identity without aud", map[string]string{"IDENT": "identity {\n ttl = \"1h\"\n }"}, "service-identity/error", "set aud"},
		{"no identity", map[string]string{"IDENT": ""}, "service-identity/error", "no identity"},
		{"image latest", map[string]string{"IMAGE": `"app:latest"`}, "pinned-image/error", "not pinned"},
		{"image without tag", map[string]string{"IMAGE": `"registry:5000/app"`}, "pinned-image/error", "registry:5000/app:1.2.3"},
		{"image digest", map[string]string{"IMAGE": `"app@sha256:0123abcd"`}, "", ""},
		{"image with registry port and tag", map[string]string{"IMAGE": `"registry:5000/app:2"`}, "", ""},
		{"image from runtime", map[string]string{"IMAGE": `"app:${NOMAD_META_version}"`}, "", ""},
		{"no memory", map[string]string{"RES": "cpu = 100"}, "resources/error", "does not set memory"},
		{"cores instead of cpu", map[string]string{"RES": "cores = 1\n memory = 64"}, "", ""},
		{"secret env", map[string]string{"ENV": `DB_PASSWORD = "hunter2"`}, "literal-secret/error", "DB_PASSWORD has a literal value"},
		{"secret env from template", map[string]string{"ENV": `API_TOKEN = "{{ key \"x\" }}"`}, "", ""},
		{"secret file path is fine", map[string]string{"ENV": `TOKEN_FILE = "/secrets/token"`}, "", ""},
		{"secret arg", map[string]string{"ARGS": `"--password=hunter2"`}, "literal-secret/error", "password has a literal value"},
		{"secret in template", map[string]string{"TEMPLATE": `password = "hunter2"`}, "literal-secret/error", "template sets password"},
		{"high entropy env", map[string]string{"ENV": `SOMETHING = "Zx8kQ2mP9vL4rT7wN1cB5yH3jF6gD0sA"`}, "literal-secret/error", "looks like a credential"},
		{"github token", map[string]string{"ENV": `GH = "ghp_abcdefghijklmnopqrstuvwx"`}, "literal-secret/error", "looks like a credential"},
		{"sha is not a secret", map[string]string{"ENV": `COMMIT = "0123456789abcdef0123456789abcdef01234567"`}, "", ""},
		{"address in env", map[string]string{"ENV": `DB = "10.1.2.3:5432"`}, "hardcoded-address/error", "10.1.2.3"},
		{"address in args", map[string]string{"ARGS": `"--upstream", "http://192.168.1.5:80"`}, "hardcoded-address/error", "192.168.1.5"},
		{"ipv6 address", map[string]string{"ENV": `PEER = "[fd00::10]:443"`}, "hardcoded-address/error", "fd00::10"},
		{"loopback and any are fine", map[string]string{"ENV": "A = \"127.0.0.1:80\"\n B = \"0.0.0.0:80\"\n C = \"[::1]:80\"\n D = \"[::]:80\""}, "", ""},
		{"cidr is a range", map[string]string{"ENV": `TRUSTED = "10.0.0.0/8"`}, "", ""},
		{"version is not an address", map[string]string{"ENV": `V = "v1.2.3.4.5"`}, "", ""},
		{"address in template", map[string]string{"TEMPLATE": "server 10.0.0.7:80;"}, "hardcoded-address/error", "template names"},
		{"bad traefik rule", map[string]string{"TAGS": `"traefik.enable=true", "traefik.http.routers.app.rule=Host(` + "`x`" + `"`}, "traefik-tags/error", "traefik.http.routers.app.rule"},
		{"unknown traefik option", map[string]string{"TAGS": `"traefik.enable=true", "traefik.http.routers.app.colour=red"`}, "traefik-tags/error", ""},
		{"tls on plain entry point", map[string]string{"TAGS": `"traefik.enable=true", "traefik.http.routers.app.entrypoints=web", "traefik.http.routers.app.tls=true"`}, "traefik-tags/error", "HTTPS entry point"},
		{"tls on websecure", map[string]string{"TAGS": `"traefik.enable=true", "traefik.http.routers.app.entrypoints=websecure", "traefik.http.routers.app.tls=true"`}, "", ""},
		{"non-traefik tags", map[string]string{"TAGS": `"internal", "v1"`}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := check(t, render(tt.changes), DefaultConfig())
			if got := summary(fs); got != tt.want {
				t.Fatalf("findings %q, want %q\n%v", got, tt.want, fs)
			}
			if tt.msg != "" && !strings.Contains(fs[0].Message, tt.msg) {
				t.Errorf("message %q does not contain %q", fs[0].Message, tt.msg)
			}
			for _, f := range fs {
				if !f.Pos.IsValid() || f.Pos.File != "t.nomad.hcl" {
					t.Errorf("finding without a position: %+v", f)
				}
			}
		})
	}
}

func TestHealthCheck(t *testing.T) {
	src := strings.Replace(render(nil), "check {", "nocheck {", 1)
	src = strings.Replace(src, "nocheck {\n        type = \"http\"\n        path = \"/health\"\n        interval = \"10s\"\n        timeout = \"2s\"\n      }", "", 1)
	fs := check(t, src, DefaultConfig())
	if summary(fs) != "health-check/error" || fs[0].Pos.Line != 11 {
		t.Fatalf("findings %v, want health-check at the service block (line 11)", fs)
	}
}

func TestHACount(t *testing.T) {
	for _, tc := range []struct {
		count, jobType string
		want           string
		line           int
	}{
		{"count = 1", "", "ha-count/warning", 4},
		{"", "", "ha-count/warning", 3},
		{"count = 3", "", "", 0},
		{"count = 1", `type = "system"`, "", 0},
	} {
		src := strings.Replace(render(map[string]string{"JOBMETA": tc.jobType}), "count = 2", tc.count, 1)
		fs := check(t, src, DefaultConfig())
		if summary(fs) != tc.want || (tc.line != 0 && fs[0].Pos.Line != tc.line) {
			t.Errorf("%q %q: findings %v, want %s at line %d", tc.count, tc.jobType, fs, tc.want, tc.line)
		}
	}
}

func TestHighEntropySkipsPaths(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"/tmp/TestJobRunCLI3512817734/001/webapp", false},
		{"/var/lib/orbit/alloc/1f3a9c2b-77d4-4c1e-9a0b-5e2f8c1d3b7a/web", false},
		{"sk_live_4eC39HqLyjWDarjtT1zdp7dc", true},
		{"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg+Q/w==", true},
	} {
		if _, got := highEntropy(tc.in); got != tc.want {
			t.Errorf("highEntropy(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
