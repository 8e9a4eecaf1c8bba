// Package docker is the docker driver: it runs a task as a container
// through the Docker Engine API (image, command and args, env, published
// ports from the allocated host port to the port's "to", volumes, labels,
// cpu shares and memory limits), streams the container's stdout and stderr
// into the task's log FIFOs, stops it with the task's kill signal and
// SIGKILL after the kill timeout, and removes it on destroy. An image
// already present is used without a pull; an absent image is pulled, and
// when that fails the error names the image. A restarted agent re-attaches
// to the container by id.
//
// It is not an image builder or a registry client beyond the Engine's
// pull. The client and the agent import it.
package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/orbit/orbit/internal/driver"
)

// Name is the driver's name in job files.
const Name = "docker"

// Labels orbit puts on every container it starts.
const (
	LabelAllocID = "orbit.alloc_id"
	LabelTask    = "orbit.task"
	LabelJob     = "orbit.job"
	LabelGroup   = "orbit.group"
)

// DefaultHost is the Engine's socket.
const DefaultHost = "unix:///var/run/docker.sock"

// Options configures the driver.
type Options struct {
	// Host is the Engine's address; "" means DOCKER_HOST or DefaultHost.
	Host string
}

// Driver is the docker driver.
type Driver struct {
	host string

	mu  sync.Mutex // guards cli
	cli *client.Client
}

var _ driver.Driver = (*Driver)(nil)

// New returns the driver; it connects on first use.
func New(opts Options) *Driver {
	host := opts.Host
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = DefaultHost
	}
	return &Driver{host: host}
}

// Name implements driver.Driver.
func (*Driver) Name() string { return Name }

// Close releases the Engine client's connections.
func (d *Driver) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli == nil {
		return nil
	}
	err := d.cli.Close()
	d.cli = nil
	return err
}

// client returns a client that answered a ping.
func (d *Driver) client(ctx context.Context) (*client.Client, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cli == nil {
		c, err := client.NewClientWithOpts(client.WithHost(d.host), client.WithAPIVersionNegotiation())
		if err != nil {
			return nil, fmt.Errorf("docker client for %s: %w", d.host, err)
		}
		d.cli = c
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := d.cli.Ping(pctx); err != nil {
		return nil, fmt.Errorf("docker daemon not reachable at %s: %w", d.host, err)
	}
	return d.cli, nil
}

// Fingerprint implements driver.Driver: docker works when the Engine
// answers.
func (d *Driver) Fingerprint(ctx context.Context) driver.Fingerprint {
	cli, err := d.client(ctx)
	if err != nil {
		return driver.Fingerprint{Driver: Name, Reason: err.Error()}
	}
	attrs := map[string]string{"driver.docker": "1"}
	if v, err := cli.ServerVersion(ctx); err == nil {
		attrs["driver.docker.version"] = v.Version
	}
	return driver.Fingerprint{Driver: Name, Detected: true, Healthy: true, Attributes: attrs}
}

// Start implements driver.Driver.
func (d *Driver) Start(ctx context.Context, cfg *driver.TaskConfig) (driver.Task, error) {
	var c Config
	if err := driver.DecodeConfig(Name, cfg.Config, &c); err != nil {
		return nil, err
	}
	if c.Image == "" {
		return nil, fmt.Errorf("%w: docker: image is required", driver.ErrConfig)
	}
	cc, hc, err := containerSpec(cfg, &c)
	if err != nil {
		return nil, err
	}
	cli, err := d.client(ctx)
	if err != nil {
		return nil, err
	}
	if err := ensureImage(ctx, cli, c.Image, c.ForcePull); err != nil {
		return nil, err
	}
	name := containerName(cfg)
	// A container of an earlier attempt of this task would block the name.
	if err := cli.ContainerRemove(ctx, name, container.RemoveOptions{Force: true}); err != nil && !client.IsErrNotFound(err) {
		return nil, fmt.Errorf("remove old container %s: %w", name, err)
	}
	created, err := cli.ContainerCreate(ctx, cc, hc, nil, nil, name)
	if err != nil {
		return nil, fmt.Errorf("create container for image %q: %w", c.Image, err)
	}
	if err := cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		_ = cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
		return nil, fmt.Errorf("start container %s (image %q): %w", name, c.Image, err)
	}
	return watch(cli, cfg, created.ID, time.Now(), time.Time{}), nil
}

// Recover implements driver.Driver.
func (d *Driver) Recover(ctx context.Context, cfg *driver.TaskConfig, h driver.Handle) (driver.Task, error) {
	cli, err := d.client(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cli.ContainerInspect(ctx, h.ContainerID); client.IsErrNotFound(err) {
		return nil, fmt.Errorf("container %s: %w", h.ContainerID, driver.ErrTaskGone)
	} else if err != nil {
		return nil, fmt.Errorf("inspect container %s: %w", h.ContainerID, err)
	}
	// Only output written after the re-attach is collected again.
	return watch(cli, cfg, h.ContainerID, h.StartedAt, time.Now()), nil
}

// ensureImage pulls ref unless it is present (or force is set).
func ensureImage(ctx context.Context, cli *client.Client, ref string, force bool) error {
	if !force {
		_, err := cli.ImageInspect(ctx, ref)
		if err == nil {
			return nil
		}
		if !client.IsErrNotFound(err) {
			return fmt.Errorf("inspect image %q: %w", ref, err)
		}
	}
	rc, err := cli.ImagePull(ctx, ref, image.PullOptions{})
	if err == nil {
		err = pullResult(rc)
	}
	if err != nil {
		return fmt.Errorf("image %q is not present on this node and could not be pulled: %w", ref, err)
	}
	return nil
}

// pullResult drains a pull's progress stream and returns the error it
// reports, if any.
func pullResult(rc io.ReadCloser) error {
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	if i := strings.Index(string(b), `"error":`); i >= 0 {
		msg := string(b[i+len(`"error":`):])
		if j := strings.IndexAny(msg, "\n"); j >= 0 {
			msg = msg[:j]
		}
		return errors.New(strings.Trim(msg, `"{} `))
	}
	return nil
}

// containerName is Nomad's: "<task>-<alloc id>".
func containerName(cfg *driver.TaskConfig) string {
	if cfg.TaskName != "" && cfg.AllocID != "" {
		return cfg.TaskName + "-" + cfg.AllocID
	}
	return strings.NewReplacer("/", "-", ".", "-").Replace(cfg.ID)
}
