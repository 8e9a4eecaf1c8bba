package client

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// nodeFacts are the node values ${attr.*}, ${node.*} and ${meta.*} read.
type nodeFacts struct {
	Name, ID, Datacenter, Class, Pool, Region, Address string
	Attributes, Meta                                   map[string]string
}

// taskPaths are the allocation and task directories as the task sees them
// (host paths for raw_exec and exec, /alloc, /local, /secrets in a
// container).
type taskPaths struct {
	AllocDir, TaskDir, SecretsDir string
}

// envInput is everything a task's environment is built from.
type envInput struct {
	Alloc *job.Allocation
	Job   *job.Job
	Group *job.Group
	Task  *job.Task
	Ports []job.AllocatedPort
	Paths taskPaths
	Res   job.AllocResources
	Node  *nodeFacts
	// Templates holds variables rendered by env = true templates.
	Templates map[string]string
	// Identities are the workload identity tokens' variables (NOMAD_TOKEN,
	// NOMAD_TOKEN_<name>); they win over the task's env block.
	Identities map[string]string
	// Host is the agent's environment to pass through (raw_exec, exec), or
	// nil (docker).
	Host []string
}

// hostEnvDenied are agent variables never passed to tasks (credentials,
// and the agent's own NOMAD_/ORBIT_ settings).
var hostEnvDenied = []string{"CONSUL_TOKEN", "CONSUL_HTTP_TOKEN", "VAULT_TOKEN", "NOMAD_TOKEN", "ORBIT_TOKEN",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS"}

// buildEnv returns a task's environment with Nomad's variables, their
// ORBIT_* aliases, the task's env block (interpolated) and the env
// templates' variables.
func buildEnv(in envInput) map[string]string {
	env := map[string]string{}
	for _, kv := range in.Host {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.HasPrefix(k, "NOMAD_") || strings.HasPrefix(k, "ORBIT_") || denied(k) {
			continue
		}
		env[k] = v
	}
	nomad := map[string]string{
		"ALLOC_ID": in.Alloc.ID, "SHORT_ALLOC_ID": shortID(in.Alloc.ID), "ALLOC_NAME": in.Alloc.Name,
		"ALLOC_INDEX": strconv.Itoa(in.Alloc.Index), "JOB_ID": in.Job.ID, "JOB_NAME": in.Job.Name,
		"GROUP_NAME": in.Group.Name, "TASK_NAME": in.Task.Name, "NAMESPACE": in.Alloc.Namespace,
		"REGION": in.Job.Region, "DC": in.Node.Datacenter,
		"ALLOC_DIR": in.Paths.AllocDir, "TASK_DIR": in.Paths.TaskDir, "SECRETS_DIR": in.Paths.SecretsDir,
		"CPU_LIMIT": strconv.Itoa(in.Res.CPU), "MEMORY_LIMIT": strconv.Itoa(in.Res.MemoryMB),
	}
	if in.Res.MemoryMaxMB > 0 {
		nomad["MEMORY_MAX_LIMIT"] = strconv.Itoa(in.Res.MemoryMaxMB)
	}
	for _, p := range in.Ports {
		inside := p.Value
		if p.To > 0 {
			inside = p.To
		}
		addr := hostPort(p.HostIP, p.Value)
		nomad["PORT_"+p.Label] = strconv.Itoa(inside)
		nomad["ALLOC_PORT_"+p.Label] = strconv.Itoa(inside)
		nomad["HOST_PORT_"+p.Label] = strconv.Itoa(p.Value)
		nomad["IP_"+p.Label] = p.HostIP
		nomad["HOST_IP_"+p.Label] = p.HostIP
		nomad["ADDR_"+p.Label] = addr
		nomad["HOST_ADDR_"+p.Label] = addr
	}
	for k, v := range mergedMeta(in.Job, in.Group, in.Task) {
		key := metaKey(k)
		nomad["META_"+key] = v
		nomad["META_"+strings.ToUpper(key)] = v
	}
	for k, v := range nomad {
		env["NOMAD_"+k] = v
		env["ORBIT_"+k] = v
	}
	for k, v := range in.Task.Env.Values {
		env[k] = interpolate(v, env, in.Node)
	}
	for k, v := range in.Templates {
		env[k] = v
	}
	for k, v := range in.Identities {
		env[k] = v
	}
	return env
}

func denied(k string) bool {
	for _, d := range hostEnvDenied {
		if k == d {
			return true
		}
	}
	return false
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func hostPort(ip string, port int) string {
	if strings.Contains(ip, ":") {
		return "[" + ip + "]:" + strconv.Itoa(port)
	}
	return ip + ":" + strconv.Itoa(port)
}

// mergedMeta is job meta overridden by group meta overridden by task meta.
func mergedMeta(j *job.Job, g *job.Group, t *job.Task) map[string]string {
	out := map[string]string{}
	for _, m := range []map[string]string{j.Meta.Values, g.Meta.Values, t.Meta.Values} {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

func metaKey(k string) string { return nonIdent.ReplaceAllString(k, "_") }

var interpRE = regexp.MustCompile(`\$\{([^{}]+)\}`)

// interpolate replaces ${NAME} with the task's environment variable NAME
// and ${attr.X}, ${meta.X}, ${node.unique.name}, ${node.unique.id},
// ${node.datacenter}, ${node.class}, ${node.pool}, ${node.region} with the
// node's values. Unknown names are left as written, as Nomad does.
func interpolate(s string, env map[string]string, n *nodeFacts) string {
	if !strings.Contains(s, "${") {
		return s
	}
	return interpRE.ReplaceAllStringFunc(s, func(m string) string {
		name := strings.TrimSpace(m[2 : len(m)-1])
		if v, ok := lookupVar(name, env, n); ok {
			return v
		}
		return m
	})
}

func lookupVar(name string, env map[string]string, n *nodeFacts) (string, bool) {
	if n != nil {
		if k, ok := strings.CutPrefix(name, "attr."); ok {
			v, ok := n.Attributes[k]
			return v, ok
		}
		if k, ok := strings.CutPrefix(name, "meta."); ok {
			v, ok := n.Meta[k]
			return v, ok
		}
		switch name {
		case "node.unique.name":
			return n.Name, true
		case "node.unique.id":
			return n.ID, true
		case "node.datacenter":
			return n.Datacenter, true
		case "node.class":
			return n.Class, true
		case "node.pool":
			return cmpOr(n.Pool, "default"), true
		case "node.region":
			return cmpOr(n.Region, job.DefaultRegion), true
		}
	}
	if k, ok := strings.CutPrefix(name, "env."); ok {
		name = k
	}
	v, ok := env[name]
	return v, ok
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// interpolateAny interpolates every string inside a plain config value.
func interpolateAny(v any, env map[string]string, n *nodeFacts) any {
	switch x := v.(type) {
	case string:
		return interpolate(x, env, n)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = interpolateAny(e, env, n)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = interpolateAny(e, env, n)
		}
		return out
	default:
		return v
	}
}
