package client

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/driver/rawexec"
	"github.com/orbit/orbit/internal/job"
)

func TestIdentityTarget(t *testing.T) {
	tests := []struct {
		id        job.Identity
		env, file string
	}{
		{job.Identity{Env: true, File: true}, "NOMAD_TOKEN", "nomad_token"},
		{job.Identity{Name: "default", Env: true}, "NOMAD_TOKEN", ""},
		{job.Identity{Name: "vault", Env: true, File: true}, "NOMAD_TOKEN_vault", "nomad_vault.jwt"},
		{job.Identity{Name: "consul", File: true}, "", "nomad_consul.jwt"},
		{job.Identity{Name: "hidden"}, "", ""},
	}
	for _, tt := range tests {
		env, file := identityTarget(&tt.id)
		if env != tt.env || file != tt.file {
			t.Errorf("%+v: env %q file %q, want %q %q", tt.id, env, file, tt.env, tt.file)
		}
	}
}

// recordingSigner signs "token:<name>:<alloc>" and records what it signed.
type recordingSigner struct {
	mu     sync.Mutex // guards signed
	signed []WorkloadIdentity
}

func (r *recordingSigner) SignIdentity(w WorkloadIdentity) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.signed = append(r.signed, w)
	return fmt.Sprintf("token:%s:%s", w.Name, w.AllocationID), nil
}

// TestTaskGetsIdentityTokens: a task with identity blocks finds its tokens
// in NOMAD_TOKEN / NOMAD_TOKEN_<name> and in its secrets directory.
func TestTaskGetsIdentityTokens(t *testing.T) {
	h := newHarness(t)
	signer := &recordingSigner{}
	h.identity = signer
	h.startClient(true, rawexec.New())
	script := `printf '%s|%s|%s|%s' "$NOMAD_TOKEN" "$NOMAD_TOKEN_vault" "$(cat "$NOMAD_SECRETS_DIR/nomad_token")" ` +
		`"$(cat "$NOMAD_SECRETS_DIR/nomad_vault.jwt")" > "$NOMAD_ALLOC_DIR/out"`
	j := &job.Job{ID: "idjob", Name: "idjob", Type: job.TypeBatch, Namespace: job.DefaultNamespace, Region: job.DefaultRegion,
		Groups: []*job.Group{{Name: "g", Count: 1,
			Restart: &job.Restart{Attempts: 0, Interval: time.Minute, Delay: 50 * time.Millisecond, Mode: job.RestartFail},
			Tasks: []*job.Task{{Name: "t", Driver: rawexec.Name, KillTimeout: 5 * time.Second,
				Config: job.Value{Kind: job.KindMap, Map: map[string]job.Value{
					"command": strVal("/bin/sh"), "args": listVal("-c", script)}},
				Identities: []*job.Identity{{Env: true, File: true},
					{Name: "vault", Aud: []string{"vault.io"}, TTL: time.Hour, Env: true, File: true}},
				Resources: &job.Resources{CPU: 100, MemoryMB: 64}}},
		}},
	}
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-id-1", 0)
	h.putAlloc(a)
	st := h.waitStatus(a.ID, job.ClientComplete, 20*time.Second)
	if ts := st.TaskStates["t"]; ts == nil || ts.Failed {
		t.Fatalf("task state %+v", ts)
	}
	out, err := os.ReadFile(filepath.Join(h.dataDir, "alloc", a.ID, "alloc", "out"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{"token::alloc-id-1", "token:vault:alloc-id-1", "token::alloc-id-1", "token:vault:alloc-id-1"}, "|")
	if string(out) != want {
		t.Fatalf("task saw %q, want %q", out, want)
	}
	signer.mu.Lock()
	defer signer.mu.Unlock()
	if len(signer.signed) != 2 {
		t.Fatalf("signed %d identities, want 2: %+v", len(signer.signed), signer.signed)
	}
	v := signer.signed[1]
	if v.JobID != "idjob" || v.Group != "g" || v.Task != "t" || v.Namespace != job.DefaultNamespace ||
		!slices.Equal(v.Audience, []string{"vault.io"}) || v.TTL != time.Hour {
		t.Errorf("signed %+v", v)
	}
}
