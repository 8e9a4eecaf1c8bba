package docs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest"
)

// securityPath is the README's Security section: its sh block (the commands
// from a fresh non-dev server to a first job) and its hcl block (the job).
type securityPath struct {
	agentArgs []string // after "orbit agent", without the trailing "&"
	script    []string // the commands after the agent's
	job       string
}

func readSecurityPath(t *testing.T, readme string) securityPath {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Security\n")
	if !ok {
		t.Fatal("README has no ## Security section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	infos, bodies := blocks(t, section)
	var p securityPath
	for i, b := range bodies {
		switch {
		case infos[i] == "sh" && strings.Contains(b, "orbit acl bootstrap"):
			for _, line := range strings.Split(b, "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				if args, ok := strings.CutPrefix(line, "orbit agent "); ok && p.agentArgs == nil {
					p.agentArgs = strings.Fields(strings.TrimSuffix(args, "&"))
					continue
				}
				p.script = append(p.script, line)
			}
		case infos[i] == "hcl" && strings.HasPrefix(b, `job "hello"`):
			p.job = b
		}
	}
	if p.agentArgs == nil || p.job == "" {
		t.Fatalf("README Security section lacks its sh block starting an agent or its job \"hello\" hcl block:\n%s", section)
	}
	if n := 1 + len(p.script); n > 5 {
		t.Errorf("README Security path takes %d commands, the issue allows five", n)
	}
	return p
}

// TestReadmeSecurityPath runs the README's path from a fresh non-dev server
// to a first job with ACLs on, command for command, against the built
// binary: the job is refused without a token and runs with the bootstrapped
// one.
func TestReadmeSecurityPath(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	p := readSecurityPath(t, string(readme))

	bin := orbittest.Build(t, "github.com/orbit/orbit/cmd/orbit")
	args := append([]string(nil), p.agentArgs...)
	for i := range args {
		if args[i] == "-data-dir" && i+1 < len(args) {
			args[i+1] = t.TempDir() // a fresh data directory instead of /var/lib/orbit
		}
	}
	// StartAgentProcess adds the loopback API on a free port and no DNS or
	// edge; -bind keeps the node's address on loopback too.
	agent := orbittest.StartAgentProcess(t, bin, append(args, "-bind", "127.0.0.1")...)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.nomad.hcl"), []byte(p.job+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"ORBIT_ADDR=" + agent.Addr,
		"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "PATH", "ORBIT_ADDR", "ORBIT_TOKEN", "CONSUL_HTTP_TOKEN", "NOMAD_TOKEN":
		default:
			env = append(env, kv)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sh := func(script string) (stdout, stderr string, code int) {
		t.Helper()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, "sh", "-ec", script)
		cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &out, &errb
		err := cmd.Run()
		if ctx.Err() != nil {
			t.Fatalf("%q did not finish in time:\n%s\n%s\nagent log:\n%s", script, out.String(), errb.String(), agent.Log())
		}
		if _, exited := err.(*exec.ExitError); err != nil && !exited {
			t.Fatalf("sh %q: %v", script, err)
		}
		return out.String(), errb.String(), cmd.ProcessState.ExitCode()
	}

	// The last command (the job run) without a token: refused.
	run := p.script[len(p.script)-1]
	if !strings.HasPrefix(run, "orbit job run ") {
		t.Fatalf("README Security path does not end with orbit job run: %q", run)
	}
	out, errOut, code := sh(run)
	if code != 1 || !strings.Contains(errOut, "Permission denied: anonymous token lacks permission 'job:write'") {
		t.Fatalf("%s without a token: exit %d, want 1 and a permission message\nstdout: %s\nstderr: %s", run, code, out, errOut)
	}

	// The README's commands after the agent's, as written: bootstrap, run;
	// then the token is kept to stop the job at the end (a raw_exec task
	// outlives a killed agent, as Nomad's do).
	script := strings.Join(p.script, "\n") + "\nprintf %s \"$ORBIT_TOKEN\" >.token"
	out, errOut, code = sh(script)
	t.Cleanup(func() { stopHello(t, agent.Addr, filepath.Join(dir, ".token")) })
	if code != 0 || !strings.Contains(out, "Deployment completed successfully") {
		t.Fatalf("README Security path: exit %d, want 0 and a successful deployment\nstdout: %s\nstderr: %s\nagent log:\n%s",
			code, out, errOut, agent.Log())
	}

	// A second bootstrap is refused: the path cannot be replayed by anyone
	// who reaches the API.
	if _, errOut, code := sh("orbit acl bootstrap"); code != 1 || !strings.Contains(errOut, "ACL bootstrap no longer allowed") {
		t.Fatalf("second orbit acl bootstrap: exit %d, stderr %s", code, errOut)
	}
}

// stopHello stops the hello job with the saved token and waits (up to 20s)
// until its allocations' tasks have ended, so that no task outlives the test.
func stopHello(t *testing.T, addr, tokenFile string) {
	token, err := os.ReadFile(tokenFile)
	if err != nil || len(token) == 0 {
		return // the path failed before the job could run
	}
	do := func(method, path string) *http.Response {
		req, err := http.NewRequest(method, "http://"+addr+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Nomad-Token", string(token))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Logf("%s %s: %v", method, path, err)
			return nil
		}
		return resp
	}
	if resp := do(http.MethodDelete, "/v1/job/hello"); resp == nil || resp.StatusCode != http.StatusOK {
		t.Logf("stop hello: %v", resp)
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp := do(http.MethodGet, "/v1/job/hello/allocations")
		if resp == nil {
			return
		}
		var allocs []struct{ ClientStatus string }
		err := json.NewDecoder(resp.Body).Decode(&allocs)
		resp.Body.Close()
		running := err != nil
		for _, a := range allocs {
			running = running || a.ClientStatus == "running" || a.ClientStatus == "pending"
		}
		if !running {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the hello job's task still runs 20s after the job was stopped")
}
