package acl

import (
	"fmt"
	"strings"
)

// WorkloadAudience is the identity audience that earns a task a derived
// Consul ACL token, as Nomad's Consul integration names it.
const WorkloadAudience = "consul.io"

// Workload names the allocation a derived workload token belongs to: the
// token lives as long as the allocation does.
type Workload struct {
	JobID        string
	AllocationID string
	Task         string
	// Services are the names of the services the task's group declares:
	// the only services the token may write.
	Services []string `json:",omitempty"`
}

// WorkloadRoleName is the role a workload token of job jobID also gets
// when an operator created it (binding by convention).
func WorkloadRoleName(jobID string) string { return "job-" + jobID }

// WorkloadKeyPrefix is the KV prefix a workload token of job jobID reads.
func WorkloadKeyPrefix(jobID string) string { return "jobs/" + jobID + "/" }

// WorkloadPolicy is the policy a workload token's Workload grants: read
// every service and node, write its group's services, read the KV under
// jobs/<job-id>/.
func WorkloadPolicy(w Workload) Policy {
	var b strings.Builder
	b.WriteString("service_prefix \"\" {\n  policy = \"read\"\n}\nnode_prefix \"\" {\n  policy = \"read\"\n}\n")
	fmt.Fprintf(&b, "key_prefix %q {\n  policy = \"read\"\n}\n", WorkloadKeyPrefix(w.JobID))
	for _, s := range w.Services {
		fmt.Fprintf(&b, "service %q {\n  policy = \"write\"\n}\n", s)
	}
	return Policy{ID: "synthetic-workload-" + w.AllocationID + "-" + w.Task,
		Name: "synthetic-policy-workload-" + w.JobID, Rules: b.String()}
}
