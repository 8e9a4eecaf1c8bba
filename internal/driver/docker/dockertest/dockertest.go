// Package dockertest builds the webapp test server into a FROM scratch
// image through the Docker Engine's build API, for the docker driver's and
// the end-to-end tests. Only tests import it.
package dockertest

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/orbit/orbit/internal/driver/drivertest"
)

// Client returns an Engine client, or skips the test when no daemon
// answers at host ("" for DOCKER_HOST or the default socket).
func Client(t testing.TB) *client.Client {
	t.Helper()
	opts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	cli, err := client.NewClientWithOpts(opts...)
	if err != nil {
		t.Skipf("no Docker client, the real dependency is absent: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		cli.Close()
		t.Skipf("no Docker daemon answers on this machine, the real dependency is absent: %v", err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// BuildWebappImage builds a FROM scratch image holding only the static
// webapp binary (entrypoint /webapp), removed when the test ends, and
// returns its tag.
func BuildWebappImage(t testing.TB, cli *client.Client) string {
	t.Helper()
	bin, err := os.ReadFile(drivertest.BuildWebapp(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY webapp /webapp\nENTRYPOINT [\"/webapp\"]\n")},
		{"webapp", 0o755, bin},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	tag := fmt.Sprintf("orbit-test-webapp:%d", time.Now().UnixNano())
	ctx := context.Background()
	resp, err := cli.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{tag}, Remove: true, ForceRemove: true})
	if err != nil {
		t.Fatalf("build image: %v", err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(out), `"error"`) {
		t.Fatalf("build image: %s", out)
	}
	t.Cleanup(func() {
		cli.ImageRemove(context.Background(), tag, image.RemoveOptions{Force: true, PruneChildren: true})
	})
	return tag
}
