package orchestrator_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	napi "github.com/hashicorp/nomad/api"

	"github.com/orbit/orbit/internal/cli"
	"github.com/orbit/orbit/internal/orbittest"
)

// canaryHCL is jobHCL with update { canary = 1 } (and auto_promote when
// asked) and canary_tags = ["canary-VERSION"] on the service.
func canaryHCL(bin string, count int, version string, autoPromote bool) string {
	hcl := jobHCL(bin, count, version)
	hcl = strings.Replace(hcl, "auto_revert      = true",
		fmt.Sprintf("auto_revert      = true\n      canary           = 1\n      auto_promote     = %t", autoPromote), 1)
	return strings.Replace(hcl, fmt.Sprintf(`tags = ["version-%s"]`, version),
		fmt.Sprintf(`tags = ["version-%s"]
      canary_tags = ["canary-%s"]`, version, version), 1)
}

// passingTags waits until the passing instances carry exactly tags (in any
// order).
func (e *env) passingTags(tags ...string) {
	e.t.Helper()
	sort.Strings(tags)
	want := strings.Join(tags, ",")
	orbittest.Eventually(e.t, 60*time.Second, "passing instances tagged "+want, func() bool {
		_, got := e.passing()
		sort.Strings(got)
		return strings.Join(got, ",") == want
	})
}

// waitCanary waits for the job's latest deployment (of version) to have
// its one canary placed and healthy, and returns it.
func (e *env) waitCanary(version uint64) *napi.Deployment {
	e.t.Helper()
	var d *napi.Deployment
	orbittest.Eventually(e.t, 60*time.Second, "one healthy canary", func() bool {
		var err error
		d, _, err = e.nomad.Jobs().LatestDeployment("web", nil)
		if err != nil || d == nil || d.JobVersion != version {
			return false
		}
		st := d.TaskGroups["web"]
		return st != nil && st.DesiredCanaries == 1 && len(st.PlacedCanaries) == 1 && st.HealthyAllocs >= 1
	})
	return d
}

func TestCanaryPromote(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	defer func() {
		if t.Failed() {
			e.dump()
		}
	}()
	e.register(canaryHCL(bin, 2, "v1", false))
	e.waitDeployment("successful")
	e.waitPassing(2, "version-v1")

	// Version 1 places one canary beside the two old allocations, whose
	// service registers with canary_tags, and waits.
	e.register(canaryHCL(bin, 2, "v2", false))
	d := e.waitCanary(1)
	st := d.TaskGroups["web"]
	if d.Status != "running" || st.Promoted {
		t.Fatalf("deployment %s promoted=%v, want running and waiting for promotion", d.Status, st.Promoted)
	}
	e.passingTags("version-v1", "version-v1", "canary-v2")
	canaryID := st.PlacedCanaries[0]
	a, _, err := e.nomad.Allocations().Info(canaryID, nil)
	if err != nil || a.DeploymentStatus == nil || !a.DeploymentStatus.Canary || a.Job == nil || *a.Job.Version != 1 {
		t.Fatalf("canary allocation %+v: %v", a, err)
	}
	old := 0
	as, _, _ := e.nomad.Jobs().Allocations("web", false, nil)
	for _, a := range as {
		if a.JobVersion == 0 && a.DesiredStatus == "run" {
			old++
		}
	}
	if old != 2 {
		t.Fatalf("%d old allocations still run while the canary waits, want 2", old)
	}

	// A group the deployment does not have: refused.
	if _, _, err := e.nomad.Deployments().PromoteGroups(d.ID, []string{"db"}, nil); err == nil ||
		!strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), `deployment does not include task group "db"`) {
		t.Fatalf("promote of an unknown group: %v, want a 400 naming it", err)
	}
	resp, _, err := e.nomad.Deployments().PromoteAll(d.ID, nil)
	if err != nil || resp.EvalID == "" {
		t.Fatalf("promote: %+v %v", resp, err)
	}
	e.waitDeployment("successful")
	e.passingTags("version-v2", "version-v2")
	d, _, err = e.nomad.Deployments().Info(d.ID, nil)
	if err != nil || !d.TaskGroups["web"].Promoted || d.TaskGroups["web"].HealthyAllocs != 2 {
		t.Fatalf("deployment after promotion: %+v %v", d, err)
	}
	// The promoted canary counts toward the new version's count.
	a, _, err = e.nomad.Allocations().Info(canaryID, nil)
	if err != nil || a.DesiredStatus != "run" || a.ClientStatus != "running" || a.DeploymentStatus.Canary {
		t.Fatalf("promoted canary: %+v %v", a, err)
	}
	// Nothing left to promote.
	if _, _, err := e.nomad.Deployments().PromoteAll(d.ID, nil); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("promote of a finished deployment: %v, want a 400", err)
	}
}

func TestCanaryAutoPromote(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	defer func() {
		if t.Failed() {
			e.dump()
		}
	}()
	e.register(canaryHCL(bin, 2, "v1", true))
	e.waitDeployment("successful")
	e.register(canaryHCL(bin, 2, "v2", true))
	e.waitDeployment("successful")
	e.passingTags("version-v2", "version-v2")
	d, _, err := e.nomad.Jobs().LatestDeployment("web", nil)
	if err != nil || d.JobVersion != 1 || !d.TaskGroups["web"].Promoted || len(d.TaskGroups["web"].PlacedCanaries) != 1 {
		t.Fatalf("deployment %+v: %v", d, err)
	}
}

// orbit runs `orbit COMMAND SUBCOMMAND ARGS...` against the test agent.
func (e *env) orbit(args ...string) (int, string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	code := cli.Main(ctx, append(append(args[:2:2], "--address", e.a.URL), args[2:]...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestDeploymentCLI(t *testing.T) {
	bin := orbittest.Webapp(t)
	e := newEnv(t)
	defer func() {
		if t.Failed() {
			e.dump()
		}
	}()
	e.register(canaryHCL(bin, 2, "v1", false))
	e.waitDeployment("successful")
	file := filepath.Join(t.TempDir(), "web.nomad.hcl")
	if err := writeFile(file, canaryHCL(bin, 2, "v2", false)); err != nil {
		t.Fatal(err)
	}

	// The plan shows the canary, and nothing destroyed yet.
	code, out, errs := e.orbit("job", "plan", file)
	if code != 1 || !strings.Contains(out, `Task Group "web": 1 create (canary), 2 ignore`) {
		t.Fatalf("orbit job plan: exit %d\n%s\n%s", code, out, errs)
	}
	// job run follows the deployment until the canary waits for promotion.
	code, out, errs = e.orbit("job", "run", file)
	if code != 0 || !strings.Contains(out, "orbit deployment promote") {
		t.Fatalf("orbit job run: exit %d\n%s\n%s", code, out, errs)
	}
	d := e.waitCanary(1)
	code, out, errs = e.orbit("deployment", "status", d.ID[:8])
	for _, want := range []string{d.ID, "requires manual promotion", "Promoted", "Canaries", "false"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("orbit deployment status: exit %d, missing %q\n%s\n%s", code, want, out, errs)
		}
	}
	code, out, errs = e.orbit("alloc", "status", d.TaskGroups["web"].PlacedCanaries[0])
	if code != 0 || !strings.Contains(out, "Canary") || !strings.Contains(out, "Deployment Health") || !strings.Contains(out, "Job Version") {
		t.Fatalf("orbit alloc status of the canary: exit %d\n%s\n%s", code, out, errs)
	}
	code, _, errs = e.orbit("deployment", "promote", "-group", "db", d.ID)
	if code != 1 || !strings.Contains(errs, `deployment does not include task group "db"`) {
		t.Fatalf("promote of an unknown group: exit %d\n%s", code, errs)
	}
	code, out, errs = e.orbit("deployment", "promote", d.ID)
	if code != 0 || !strings.Contains(out, "Promoted deployment") || !strings.Contains(out, "successful") {
		t.Fatalf("orbit deployment promote: exit %d\n%s\n%s", code, out, errs)
	}
	e.passingTags("version-v2", "version-v2")
	code, _, errs = e.orbit("deployment", "promote", d.ID)
	if code != 1 || !strings.Contains(errs, "can't promote terminal deployment") {
		t.Fatalf("second promote: exit %d\n%s", code, errs)
	}
}
