package docker

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/orbit/orbit/internal/driver"
)

// Config is the task's driver block (a subset of Nomad's docker driver).
type Config struct {
	Image      string   `json:"image"`
	Command    string   `json:"command"`
	Args       []string `json:"args"`
	Entrypoint []string `json:"entrypoint"`
	// Ports names the group's port labels to publish: host port → the
	// port's "to" (or the host port when "to" is not set).
	Ports []string `json:"ports"`
	// Volumes are "host:container[:ro]" binds; a relative host path is
	// relative to the task directory.
	Volumes     []string `json:"volumes"`
	Labels      flexMap  `json:"labels"`
	WorkDir     string   `json:"work_dir"`
	NetworkMode string   `json:"network_mode"`
	Hostname    string   `json:"hostname"`
	ForcePull   bool     `json:"force_pull"`
}

// flexMap accepts a map or a list of maps: a `labels { ... }` block
// arrives as a list of one map, `labels = { ... }` as a map.
type flexMap map[string]string

func (m *flexMap) UnmarshalJSON(b []byte) error {
	var one map[string]string
	if err := json.Unmarshal(b, &one); err == nil {
		*m = one
		return nil
	}
	var many []map[string]string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("labels must be a map of strings")
	}
	*m = flexMap{}
	for _, x := range many {
		for k, v := range x {
			(*m)[k] = v
		}
	}
	return nil
}

// Paths of the allocation and task directories inside a container, as
// Nomad mounts them.
const (
	ContainerAllocDir   = "/alloc"
	ContainerLocalDir   = "/local"
	ContainerSecretsDir = "/secrets"
)

// containerSpec builds the container's config and host config.
func containerSpec(cfg *driver.TaskConfig, c *Config) (*container.Config, *container.HostConfig, error) {
	cc := &container.Config{
		Image:      c.Image,
		Env:        driver.EnvList(cfg.Env),
		Labels:     map[string]string{},
		WorkingDir: c.WorkDir,
		Hostname:   c.Hostname,
	}
	if c.Command != "" {
		cc.Cmd = append([]string{c.Command}, c.Args...)
	} else if len(c.Args) > 0 {
		cc.Cmd = c.Args
	}
	if len(c.Entrypoint) > 0 {
		cc.Entrypoint = c.Entrypoint
	}
	for k, v := range c.Labels {
		cc.Labels[k] = v
	}
	for k, v := range cfg.Labels {
		cc.Labels[k] = v
	}
	cc.Labels[LabelAllocID], cc.Labels[LabelTask] = cfg.AllocID, cfg.TaskName
	cc.Labels[LabelJob], cc.Labels[LabelGroup] = cfg.JobName, cfg.GroupName

	hc := &container.HostConfig{NetworkMode: container.NetworkMode(c.NetworkMode)}
	hc.Resources.CPUShares = int64(max(cfg.Resources.CPUMHz, 2))
	if mem := max(cfg.Resources.MemoryMB, cfg.Resources.MemoryMaxMB); mem > 0 {
		hc.Resources.Memory = int64(mem) << 20
		if cfg.Resources.MemoryMaxMB > cfg.Resources.MemoryMB && cfg.Resources.MemoryMB > 0 {
			hc.Resources.MemoryReservation = int64(cfg.Resources.MemoryMB) << 20
		}
	}
	if cfg.AllocDir != "" {
		hc.Binds = append(hc.Binds, cfg.AllocDir+":"+ContainerAllocDir)
	}
	if cfg.TaskDir != "" {
		hc.Binds = append(hc.Binds, filepath.Join(cfg.TaskDir, "local")+":"+ContainerLocalDir,
			filepath.Join(cfg.TaskDir, "secrets")+":"+ContainerSecretsDir)
	}
	for _, v := range c.Volumes {
		host, rest, ok := strings.Cut(v, ":")
		if !ok || host == "" || rest == "" {
			return nil, nil, fmt.Errorf("%w: docker: volume %q is not host:container[:ro]", driver.ErrConfig, v)
		}
		if !filepath.IsAbs(host) {
			host = filepath.Join(cfg.TaskDir, host)
		}
		hc.Binds = append(hc.Binds, host+":"+rest)
	}
	for _, m := range cfg.Mounts {
		b := m.HostPath + ":" + m.TaskPath
		if m.ReadOnly {
			b += ":ro"
		}
		hc.Binds = append(hc.Binds, b)
	}
	if err := publish(cfg, c, cc, hc); err != nil {
		return nil, nil, err
	}
	return cc, hc, nil
}

// publish maps each port label of c.Ports from its host port to its
// container port, for tcp and udp.
func publish(cfg *driver.TaskConfig, c *Config, cc *container.Config, hc *container.HostConfig) error {
	if len(c.Ports) == 0 || c.NetworkMode == "host" {
		return nil
	}
	cc.ExposedPorts = nat.PortSet{}
	hc.PortBindings = nat.PortMap{}
	for _, label := range c.Ports {
		var pm *driver.PortMapping
		for i := range cfg.Ports {
			if cfg.Ports[i].Label == label {
				pm = &cfg.Ports[i]
			}
		}
		if pm == nil {
			return fmt.Errorf("%w: docker: port %q is not a port of the group's network", driver.ErrConfig, label)
		}
		to := pm.To
		if to <= 0 {
			to = pm.Value
		}
		for _, proto := range []string{"tcp", "udp"} {
			p := nat.Port(strconv.Itoa(to) + "/" + proto)
			cc.ExposedPorts[p] = struct{}{}
			hc.PortBindings[p] = append(hc.PortBindings[p], nat.PortBinding{HostIP: pm.HostIP, HostPort: strconv.Itoa(pm.Value)})
		}
	}
	return nil
}

// ContainerPaths are the allocation, task-local and secrets directories as
// a task in a container sees them; the client builds NOMAD_ALLOC_DIR,
// NOMAD_TASK_DIR and NOMAD_SECRETS_DIR from them.
func (*Driver) ContainerPaths() (allocDir, taskDir, secretsDir string) {
	return ContainerAllocDir, ContainerLocalDir, ContainerSecretsDir
}
