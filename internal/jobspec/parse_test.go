package jobspec

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/job"
)

func mustParse(t *testing.T, src string, opts Options) *job.Job {
	t.Helper()
	j, err := Parse("test.nomad.hcl", []byte(src), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return j
}

func TestParseFixtures(t *testing.T) {
	for _, kind := range []string{"good", "bad"} {
		for _, f := range fixtureFiles(t, kind) {
			t.Run(kind+"/"+filepath.Base(f), func(t *testing.T) {
				src, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				j, err := Parse(f, src, Options{})
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if j.ID == "" || len(j.Groups) == 0 || len(j.Groups[0].Tasks) == 0 {
					t.Fatalf("parsed job is empty: %+v", j)
				}
			})
		}
	}
}

// TestParseStandardExample wraps the service block of the standard's good
// example in a job and checks that it parses as written.
func TestParseStandardExample(t *testing.T) {
	path := filepath.Join(filepath.Dir(fixturesDir(t)), "seed", "infrastructure-standards.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("standard not found: %v", err)
	}
	m := regexp.MustCompile("(?s)```hcl\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatal("no hcl example in the standard")
	}
	src := "job \"example\" {\n group \"g\" {\n network {\n port \"web\" {}\n }\n" + string(m[1]) +
		"\n task \"t\" {\n driver = \"raw_exec\"\n }\n }\n}\n"
	j := mustParse(t, src, Options{})
	s := j.Groups[0].Services[0]
	if s.Name != "my-app" || s.Port != "web" || len(s.Checks) != 1 || s.Identity == nil {
		t.Fatalf("service = %+v", s)
	}
	if s.Checks[0].Interval != 10*time.Second || s.Identity.Aud[0] != "consul.io" {
		t.Fatalf("check %+v identity %+v", s.Checks[0], s.Identity)
	}
	if len(s.Tags) != 2 || !strings.Contains(s.Tags[1], "Host(`myapp.lab.local`)") {
		t.Fatalf("tags = %q", s.Tags)
	}
}

const fullJob = `
job "full" {
  type        = "service"
  datacenters = ["dc1", "dc2"]
  namespace   = "apps"
  region      = "home"
  priority    = 70
  meta {
    owner = "team"
  }
  update {
    max_parallel = 2
    auto_revert  = true
    health_check = "checks"
    anomaly_gate = true
  }
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  group "web" {
    count = 3
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
      port "dns" {
        static       = 53
        host_network = "lan"
      }
    }
    volume "data" {
      type      = "host"
      source    = "web-data"
      read_only = true
    }
    restart {
      attempts = 0
      mode     = "delay"
    }
    reschedule {
      delay          = "10s"
      delay_function = "constant"
    }
    spread {
      attribute = "${node.datacenter}"
      target "dc1" {
        percent = 60
      }
    }
    affinity {
      attribute = "${meta.rack}"
      value     = "r1"
      weight    = 30
    }
    service {
      name     = "web"
      port     = "http"
      provider = "nomad"
      tags     = ["a", "node-${node.unique.name}"]
      meta {
        version = "1"
      }
      check {
        type                     = "http"
        path                     = "/health"
        method                   = "GET"
        protocol                 = "https"
        tls_skip_verify          = true
        interval                 = "10s"
        timeout                  = "2s"
        success_before_passing   = 2
        failures_before_critical = 3
        header {
          Authorization = ["Bearer x"]
        }
        check_restart {
          limit = 3
          grace = "30s"
        }
      }
      identity {
        aud = ["consul.io", "orbit"]
        ttl = "1h"
      }
    }
    task "server" {
      driver         = "docker"
      user           = "nobody"
      kill_timeout   = "20s"
      kill_signal    = "SIGINT"
      shutdown_delay = "5s"
      config {
        image = "web:1.0"
        args  = ["--addr", "${attr.unique.network.ip-address}:${NOMAD_PORT_http}"]
        mount {
          type   = "bind"
          target = "/data"
        }
        labels = {
          team = "web"
        }
      }
      env {
        PORT = "${NOMAD_PORT_http}"
        NODE = "${env["HOSTNAME"]}"
      }
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
      }
      volume_mount {
        volume      = "data"
        destination = "/srv"
      }
      template {
        data          = "port={{ env \"NOMAD_PORT_http\" }}"
        destination   = "local/app.env"
        env           = true
        change_mode   = "signal"
        change_signal = "SIGHUP"
      }
      service {
        name = "server-metrics"
        port = "http"
        check {
          type     = "tcp"
          interval = "5s"
          timeout  = "1s"
        }
      }
      logs {
        max_files = 3
      }
    }
  }
}
`

// lineOf returns the 1-based line of the first occurrence of needle.
func lineOf(src, needle string) int {
	i := strings.Index(src, needle)
	if i < 0 {
		panic("lineOf: no " + needle)
	}
	return strings.Count(src[:i], "\n") + 1
}

func TestParseFullJob(t *testing.T) {
	j := mustParse(t, fullJob, Options{})
	if j.ID != "full" || j.Namespace != "apps" || j.Region != "home" || j.Priority != 70 || len(j.Datacenters) != 2 {
		t.Fatalf("job header = %+v", j)
	}
	if v, _ := j.Meta.Get("owner"); v != "team" {
		t.Errorf("meta owner = %q", v)
	}
	if j.Update.MaxParallel != 2 || !j.Update.AutoRevert || !j.Update.AnomalyGate || j.Update.MinHealthyTime != 10*time.Second {
		t.Errorf("update = %+v", j.Update)
	}
	if j.Constraints[0].Attribute != "${attr.kernel.name}" || j.Constraints[0].Operator != "=" {
		t.Errorf("constraint = %+v", j.Constraints[0])
	}
	g := j.Groups[0]
	if g.Count != 3 || g.CountPos.Line != lineOf(fullJob, "count = 3") || g.Network.Mode != "bridge" || len(g.Network.Ports) != 2 {
		t.Fatalf("group = %+v", g)
	}
	if p := g.Network.Ports[1]; p.Static != 53 || p.HostNetwork != "lan" || p.StaticPos.Line != lineOf(fullJob, "static       = 53") {
		t.Errorf("port = %+v", p)
	}
	if g.Restart.Attempts != 0 || g.Restart.Mode != "delay" || g.Restart.Interval != 30*time.Minute {
		t.Errorf("restart = %+v (want attempts 0 kept, interval defaulted)", g.Restart)
	}
	if g.Reschedule.Delay != 10*time.Second || g.Reschedule.DelayFunction != "constant" || !g.Reschedule.Unlimited {
		t.Errorf("reschedule = %+v", g.Reschedule)
	}
	if g.Spreads[0].Targets[0].Value != "dc1" || g.Affinities[0].Weight != 30 || g.Volumes[0].Source != "web-data" {
		t.Errorf("spread %+v affinity %+v volume %+v", g.Spreads[0], g.Affinities[0], g.Volumes[0])
	}
	s := g.Services[0]
	if s.Provider != "nomad" || s.Tags[1] != "node-${node.unique.name}" || s.TagPos[1].Line != lineOf(fullJob, `tags     = [`) {
		t.Errorf("service = %+v", s)
	}
	c := s.Checks[0]
	if !c.TLSSkipVerify || c.SuccessBeforePassing != 2 || c.FailuresBeforeCritical != 3 ||
		c.Header["Authorization"][0] != "Bearer x" || c.CheckRestart.Limit != 3 || c.TimeoutPos.Line != lineOf(fullJob, `timeout                  = "2s"`) {
		t.Errorf("check = %+v", c)
	}
	if s.Identity.TTL != time.Hour || len(s.Identity.Aud) != 2 {
		t.Errorf("identity = %+v", s.Identity)
	}
	task := g.Tasks[0]
	if task.KillTimeout != 20*time.Second || task.KillSignal != "SIGINT" || task.User != "nobody" {
		t.Errorf("task = %+v", task)
	}
	args, _ := task.Config.Strings("args")
	if args[1] != "${attr.unique.network.ip-address}:${NOMAD_PORT_http}" {
		t.Errorf("args = %q", args)
	}
	if m, ok := task.Config.Get("mount"); !ok || m.Kind != job.KindList || m.List[0].Map["target"].Str != "/data" {
		t.Errorf("mount = %+v", m)
	}
	if task.Env.Values["PORT"] != "${NOMAD_PORT_http}" || task.Env.Values["NODE"] != `${env["HOSTNAME"]}` {
		t.Errorf("env = %q", task.Env.Values)
	}
	if task.Resources.MemoryMaxMB != 512 || task.Templates[0].ChangeSignal != "SIGHUP" || !task.Templates[0].Env {
		t.Errorf("resources %+v template %+v", task.Resources, task.Templates[0])
	}
	if task.Services[0].Task != "server" || task.Logs.MaxFiles != 3 || task.Logs.MaxFileSizeMB != 10 {
		t.Errorf("task service %+v logs %+v", task.Services[0], task.Logs)
	}
}

func TestParseDefaults(t *testing.T) {
	j := mustParse(t, `job "d" {
  group "g" {
    task "t" {
      driver = "raw_exec"
    }
  }
}`, Options{})
	g := j.Groups[0]
	if j.Type != job.TypeService || j.Priority != 50 || j.Namespace != "default" || g.Count != 1 || g.CountPos.IsValid() {
		t.Fatalf("defaults: job %+v group %+v", j, g)
	}
	if g.ActivePassive != nil {
		t.Errorf("active_passive without the block: %+v", g.ActivePassive)
	}
	if g.Tasks[0].KillTimeout != 5*time.Second {
		t.Errorf("kill_timeout = %s", g.Tasks[0].KillTimeout)
	}
}

func TestTemplateDataLines(t *testing.T) {
	src := `job "t" {
  group "g" {
    task "t" {
      driver = "raw_exec"
      template {
        data        = <<EOT
first
second
EOT
        destination = "local/a"
      }
      template {
        data = <<-EOT
          one
            two
          EOT
        destination = "local/b"
      }
      template {
        data        = "a\nb"
        destination = "local/c"
      }
    }
  }
}`
	tp := mustParse(t, src, Options{}).Groups[0].Tasks[0].Templates
	if got := tp[0].LinePos(1, 0); got.Line != 8 || got.Column != 1 {
		t.Errorf("heredoc line 1 at %v, want line 8 col 1", got)
	}
	if got := tp[1].LinePos(1, 0); tp[1].Data != "one\n  two\n" || got.Line != 15 || got.Column != 11 {
		t.Errorf("indented heredoc %q line 1 at %v, want 15:11", tp[1].Data, got)
	}
	if got := tp[2].LinePos(1, 0); got.Line != 20 || got.Column != 24 {
		t.Errorf("quoted data line 1 at %v, want 20:24", got)
	}
}
