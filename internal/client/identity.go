package client

import (
	"fmt"
	"os"
	"path/filepath"
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
// variables for buildEnv.
func (tr *taskRunner) signIdentities() error {
	env := map[string]string{}
	var missing bool
	for _, id := range tr.task.Identities {
		envVar, file := identityTarget(id)
		if envVar == "" && file == "" {
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
			dir := filepath.Join(tr.ar.c.allocDir(tr.ar.id), tr.task.Name, "secrets")
			if err := writeSecret(filepath.Join(dir, file), tok); err != nil {
				return fmt.Errorf("write workload identity %q: %w", id.Name, err)
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

// writeSecret replaces path's content atomically. The file is readable by
// the task's user whoever that is; the secrets directory protects it.
func writeSecret(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
