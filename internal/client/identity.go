package client

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/orbit/orbit/internal/job"
)

// IdentitySigner signs workload identity tokens. The agent passes the
// servers' signer; a client without one (a client-only agent, until tokens
// are fetched from the servers) starts tasks without their tokens and says
// so in a task event.
type IdentitySigner interface {
	SignIdentity(w WorkloadIdentity) (string, error)
}

// ConsulAudience is the identity audience that earns a task a derived
// Consul ACL token.
const ConsulAudience = "consul.io"

// ConsulTokens derives a Consul ACL token from a task's workload identity
// JWT (audience ConsulAudience): the servers verify it and make a token
// that lives as long as the allocation. The agent passes it on servers.
type ConsulTokens interface {
	DeriveConsulToken(ctx context.Context, jwt string) (secret string, err error)
}

// WorkloadIdentity is what one task identity token is signed for.
type WorkloadIdentity struct {
	Region, Namespace, JobID, Group, AllocationID, Task string
	// Name is the identity block's name ("" for the default identity).
	Name     string
	Audience []string
	// TTL is the identity's ttl; 0 means the signer's longest.
	TTL time.Duration
}

// identityTarget is where a task's identity token goes, as Nomad puts it:
// the default identity in NOMAD_TOKEN and secrets/nomad_token, a named one
// in NOMAD_TOKEN_<name> and secrets/nomad_<name>.jwt. Empty fields mean
// env or file is off.
func identityTarget(id *job.Identity) (envVar, file string) {
	named := id.Name != "" && id.Name != "default"
	if id.Env {
		envVar = "NOMAD_TOKEN"
		if named {
			envVar += "_" + id.Name
		}
	}
	if id.File {
		file = "nomad_token"
		if named {
			file = "nomad_" + id.Name + ".jwt"
		}
	}
	return envVar, file
}

// signIdentities signs the task's identities that ask for env or file,
// writes the files into the task's secrets directory and keeps the
// variables for buildEnv. An identity with audience consul.io also gets
// its derived Consul token: CONSUL_HTTP_TOKEN with env, secrets/
// consul_token with file, and always the token its templates read with.
func (tr *taskRunner) signIdentities() error {
	env := map[string]string{}
	var missing bool
	secrets := filepath.Join(tr.ar.c.allocDir(tr.ar.id), tr.task.Name, "secrets")
	for _, id := range tr.task.Identities {
		envVar, file := identityTarget(id)
		consul := slices.Contains(id.Aud, ConsulAudience)
		if envVar == "" && file == "" && !consul {
			continue
		}
		signer := tr.ar.c.identity
		if signer == nil {
			missing = true
			continue
		}
		tr.ar.mu.Lock()
		w := WorkloadIdentity{Region: tr.ar.job.Region, Namespace: tr.ar.alloc.Namespace, JobID: tr.ar.job.ID,
			Group: tr.ar.group.Name, AllocationID: tr.ar.id, Task: tr.task.Name, Name: id.Name,
			Audience: id.Aud, TTL: id.TTL}
		tr.ar.mu.Unlock()
		tok, err := signer.SignIdentity(w)
		if err != nil {
			return fmt.Errorf("sign workload identity %q: %w", id.Name, err)
		}
		if envVar != "" {
			env[envVar] = tok
		}
		if file != "" {
			if err := writeSecret(filepath.Join(secrets, file), tok); err != nil {
				return fmt.Errorf("write workload identity %q: %w", id.Name, err)
			}
		}
		if consul {
			if err := tr.deriveConsulToken(id, tok, env, secrets); err != nil {
				return err
			}
		}
	}
	if missing {
		tr.event("Identity Unavailable", "This agent signs no workload identities (no server role); the task starts without its identity tokens", nil)
	}
	tr.ar.mu.Lock()
	tr.identEnv = env
	tr.ar.mu.Unlock()
	return nil
}

// deriveConsulToken exchanges a consul.io identity's JWT for the task's
// Consul token and puts it where the identity asks.
func (tr *taskRunner) deriveConsulToken(id *job.Identity, jwt string, env map[string]string, secrets string) error {
	d := tr.ar.c.consulTokens
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(tr.ar.detach, time.Minute)
	defer cancel()
	secret, err := d.DeriveConsulToken(ctx, jwt)
	if err != nil {
		return fmt.Errorf("derive Consul token for task %s: %w", tr.task.Name, err)
	}
	if id.Env {
		env["CONSUL_HTTP_TOKEN"] = secret
	}
	if id.File {
		if err := writeSecret(filepath.Join(secrets, "consul_token"), secret); err != nil {
			return fmt.Errorf("write Consul token: %w", err)
		}
	}
	tr.ar.mu.Lock()
	tr.consulToken = secret
	tr.ar.mu.Unlock()
	return nil
}

// writeSecret replaces path's content atomically. The file is readable by
// the task's user whoever that is; the secrets directory protects it.
func writeSecret(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
