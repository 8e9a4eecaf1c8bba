// Package docker_test runs an allocation whose task uses the docker driver
// through the client against the real Docker Engine: the image is built
// FROM scratch from a static Go binary, the allocated host port is mapped
// to the container's port, the service is registered with the host port
// and its check passes, and stopping removes the container.
package docker_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/driver/docker"
	"github.com/orbit/orbit/internal/driver/docker/dockertest"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/health"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
)

func TestDockerAllocationEndToEnd(t *testing.T) {
	cli := dockertest.Client(t)
	tag := dockertest.BuildWebappImage(t, cli)
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lease, err := st.GrantLease(ctx, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RegisterNode(ctx, &catalog.Node{Name: "n1", Address: "127.0.0.1", Agent: true}, lease.ID); err != nil {
		t.Fatal(err)
	}
	hm, err := health.New(health.Config{Node: "n1", MinInterval: -1}, v, st)
	if err != nil {
		t.Fatal(err)
	}
	drv := docker.New(docker.Options{})
	defer drv.Close()
	c, err := client.New(client.Config{NodeName: "n1", DataDir: t.TempDir(), StopOnShutdown: true, Logger: orbittest.Logger(t)},
		client.Deps{View: v, Store: st, Drivers: []driver.Driver{drv}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { hm.Run(runCtx); done <- struct{}{} }()
	go func() { c.Run(runCtx); done <- struct{}{} }()
	defer func() { stopRun(); <-done; <-done }()

	j := &job.Job{ID: "web", Name: "web", Type: job.TypeService, Namespace: "default", Groups: []*job.Group{{
		Name: "g", Count: 1,
		Network:  &job.Network{Ports: []*job.Port{{Label: "http", To: 8080}}},
		Services: []*job.Service{{Name: "web", Port: "http", Checks: []*job.Check{{Type: job.CheckHTTP, Path: "/health", Interval: 200 * time.Millisecond, Timeout: time.Second}}}},
		Tasks: []*job.Task{{Name: "server", Driver: docker.Name, KillTimeout: 5 * time.Second, KillSignal: "SIGINT",
			Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{
				"image": {Kind: job.KindString, Str: tag},
				"args":  {Kind: job.KindList, List: []job.Value{{Kind: job.KindString, Str: "-addr"}, {Kind: job.KindString, Str: ":${NOMAD_PORT_http}"}}},
				"ports": {Kind: job.KindList, List: []job.Value{{Kind: job.KindString, Str: "http"}}},
			}},
			Resources: &job.Resources{CPU: 100, MemoryMB: 64}}},
	}}}
	put := func(key string, v any) {
		b, _ := json.Marshal(v)
		if _, _, err := st.Txn(ctx, nil, []store.Op{store.Put(key, b)}); err != nil {
			t.Fatal(err)
		}
	}
	put(store.JobVersionKey("default", "web", 0), &job.Version{Job: j})
	a := &job.Allocation{ID: "d0cce7", Name: "web.g[0]", Node: "n1", Namespace: "default", JobID: "web", TaskGroup: "g",
		DesiredStatus: job.DesiredRun, Ports: []job.AllocPort{{Label: "http", To: 8080}},
		Tasks: map[string]job.AllocResources{"server": {CPU: 100, MemoryMB: 64}}}
	put(store.AllocKey(a.ID), a)

	status := func() *job.AllocStatus {
		it, ok := v.AllocStatus(a.ID)
		if !ok {
			return nil
		}
		return it.V
	}
	var s *job.AllocStatus
	orbittest.Eventually(t, 60*time.Second, "allocation running", func() bool {
		s = status()
		return s != nil && s.ClientStatus == job.ClientRunning
	})
	hostPort := s.Ports[0].Value
	if hostPort < job.DynamicPortMin || hostPort > job.DynamicPortMax {
		t.Fatalf("host port %d outside the dynamic range", hostPort)
	}
	url := "http://127.0.0.1:" + strconv.Itoa(hostPort)
	drivertest.WaitHTTP(t, url+"/health", 20*time.Second)
	env := map[string]string{}
	resp, err := http.Get(url + "/env")
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&env)
	resp.Body.Close()
	for k, want := range map[string]string{"NOMAD_PORT_http": "8080", "NOMAD_HOST_PORT_http": strconv.Itoa(hostPort),
		"NOMAD_ADDR_http": "127.0.0.1:" + strconv.Itoa(hostPort), "NOMAD_ALLOC_DIR": "/alloc", "NOMAD_TASK_DIR": "/local"} {
		if env[k] != want {
			t.Errorf("container env %s = %q, want %q", k, env[k], want)
		}
	}
	orbittest.Eventually(t, 20*time.Second, "service passing", func() bool {
		es := v.Entries("web")
		return len(es) == 1 && es[0].Instance.Port == hostPort && es[0].Status == catalog.Passing
	})
	list := func() int {
		cs, err := cli.ContainerList(ctx, container.ListOptions{All: true,
			Filters: filters.NewArgs(filters.Arg("label", docker.LabelAllocID+"="+a.ID))})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	if n := list(); n != 1 {
		t.Fatalf("%d containers for the allocation, want 1", n)
	}

	a.DesiredStatus = job.DesiredStop
	put(store.AllocKey(a.ID), a)
	orbittest.Eventually(t, 30*time.Second, "allocation complete", func() bool {
		s = status()
		return s != nil && s.ClientStatus == job.ClientComplete
	})
	if len(v.Entries("web")) != 0 {
		t.Fatal("service left after stop")
	}
	if n := list(); n != 0 {
		t.Fatalf("%d containers left after stop", n)
	}
	if ts := s.TaskStates["server"]; ts.Failed {
		t.Fatalf("task failed: %+v", ts)
	}
}
