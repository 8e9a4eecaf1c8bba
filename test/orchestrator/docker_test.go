package orchestrator_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/orbit/orbit/internal/driver/docker"
	"github.com/orbit/orbit/internal/driver/docker/dockertest"
	"github.com/orbit/orbit/internal/orbittest"
)

const dockerJob = `
job "box" {
  group "box" {
    network {
      port "http" {
        to = 8080
      }
    }
    service {
      name = "box"
      port = "http"
      check {
        type     = "http"
        path     = "/health"
        interval = "1s"
        timeout  = "500ms"
      }
      identity {
        aud = ["consul.io"]
      }
    }
    task "web" {
      driver = "docker"
      config {
        image = %q
        ports = ["http"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// TestDockerJob runs a job with the docker driver through a whole agent:
// the image is built FROM scratch by the test (no registry here), the host's
// dynamic port is mapped to the container's 8080, the service is registered
// with the host port and passes, and stopping the job removes the container.
func TestDockerJob(t *testing.T) {
	cli := dockertest.Client(t) // skips, saying so, when no Docker Engine answers
	image := dockertest.BuildWebappImage(t, cli)
	e := newEnv(t)
	e.register(fmt.Sprintf(dockerJob, image))

	var port int
	orbittest.Eventually(t, 60*time.Second, "box passing", func() bool {
		es, _, err := e.consul.Health().Service("box", "", true, nil)
		if err != nil || len(es) != 1 {
			return false
		}
		port = es[0].Service.Port
		return true
	})
	if port < 20000 || port > 32000 {
		t.Fatalf("host port %d outside 20000-32000", port)
	}
	env := get(t, fmt.Sprintf("http://127.0.0.1:%d/env", port))
	if !strings.Contains(env, `"NOMAD_PORT_http":"8080"`) || !strings.Contains(env, fmt.Sprintf(`"NOMAD_HOST_PORT_http":"%d"`, port)) {
		t.Fatalf("container environment: %s", env)
	}
	containers := func() int {
		cs, err := cli.ContainerList(context.Background(), container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", docker.LabelJob+"=box"))})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n := containers(); n != 1 {
		t.Fatalf("%d containers labelled with the job, want 1", n)
	}
	if _, _, err := e.nomad.Jobs().Deregister("box", false, nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "container removed and service gone", func() bool {
		es, _, _ := e.consul.Health().Service("box", "", false, nil)
		return containers() == 0 && len(es) == 0
	})
}
