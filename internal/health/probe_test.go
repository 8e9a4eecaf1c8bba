package health

import (
	"net"
	"os/exec"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/orbit/orbit/internal/catalog"
)

func TestTCP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "db", Definition: catalog.CheckDefinition{TCP: addr, Interval: 10 * time.Second}})
	h.start()
	h.waitScheduled(1)
	h.tick(10*time.Second, 1)
	h.wantStatus("db", catalog.Passing, "TCP connect "+addr+": Success")
	ln.Close()
	h.tick(10*time.Second, 1)
	h.wantStatus("db", catalog.Critical, "connection refused")
}

func TestGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	hs.SetServingStatus("api", healthpb.HealthCheckResponse_SERVING)
	served := make(chan struct{})
	go func() { defer close(served); srv.Serve(ln) }()
	defer func() { srv.Stop(); <-served }()
	addr := ln.Addr().String()

	h := newHarness(t, Config{})
	h.src.put(catalog.Check{CheckID: "api", Definition: catalog.CheckDefinition{GRPC: addr + "/api", Interval: 10 * time.Second}})
	h.src.put(catalog.Check{CheckID: "whole", Definition: catalog.CheckDefinition{GRPC: addr, Interval: 10 * time.Second}})
	h.src.put(catalog.Check{CheckID: "other", Definition: catalog.CheckDefinition{GRPC: addr + "/other", Interval: 10 * time.Second}})
	h.start()
	h.waitScheduled(3)
	h.tick(10*time.Second, 3)
	h.wantStatus("api", catalog.Passing, "gRPC check "+addr+"/api: success")
	h.wantStatus("whole", catalog.Passing, "gRPC check "+addr+": success")
	h.wantStatus("other", catalog.Critical, "NotFound")

	hs.SetServingStatus("api", healthpb.HealthCheckResponse_NOT_SERVING)
	h.tick(10*time.Second, 3)
	h.wantStatus("api", catalog.Critical, "gRPC "+addr+"/api serving status: NOT_SERVING")
	h.wantStatus("whole", catalog.Passing, "success")

	srv.Stop()
	h.tick(10*time.Second, 3)
	h.wantStatus("whole", catalog.Critical, "Unavailable")
}

func TestScriptChecks(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh on PATH: script checks need a shell to test")
	}
	def := func(script string) catalog.CheckDefinition {
		return catalog.CheckDefinition{Args: []string{sh, "-c", script}, Interval: 10 * time.Second, Timeout: 10 * time.Second}
	}
	t.Run("disabled by default", func(t *testing.T) {
		h := newHarness(t, Config{})
		h.src.put(catalog.Check{CheckID: "s", Definition: def("exit 0")})
		h.src.put(catalog.Check{CheckID: "web", Definition: catalog.CheckDefinition{HTTP: "http://127.0.0.1:1", Interval: time.Hour}})
		h.start()
		h.waitScheduled(1)
		time.Sleep(20 * time.Millisecond)
		if n := h.scheduled(); n != 1 {
			t.Fatalf("%d checks scheduled, want only the http one", n)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		h := newHarness(t, Config{EnableScriptChecks: true})
		h.src.put(catalog.Check{CheckID: "ok", Definition: def("echo fine; exit 0")})
		h.src.put(catalog.Check{CheckID: "warn", Status: catalog.Passing, Definition: def("echo meh >&2; exit 1")})
		h.src.put(catalog.Check{CheckID: "crit", Status: catalog.Passing, Definition: def("exit 2")})
		slow := def("echo started; sleep 10")
		slow.Timeout = 500 * time.Millisecond
		h.src.put(catalog.Check{CheckID: "slow", Status: catalog.Passing, Definition: slow})
		h.start()
		h.waitScheduled(4)
		h.tick(10*time.Second, 4)
		h.wantStatus("ok", catalog.Passing, "fine")
		h.wantStatus("warn", catalog.Warning, "meh")
		h.wantStatus("crit", catalog.Critical, "")
		h.wantStatus("slow", catalog.Critical, "Timed out (500ms) running check\n\nstarted")
	})
}
