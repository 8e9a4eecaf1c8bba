// Package audit checks what runs now in an orbit cluster against the
// infrastructure standards, the way internal/policy checks job files
// before they run. Its rules, over the catalog's instances with their
// checks and the agent's ACL state:
//
//   - health-check: an instance with no health check of its own (node
//     checks such as serfHealth do not count);
//   - dynamic-ports: an instance whose port is outside the dynamic range
//     20000-32000 and is not one of the standard's static exceptions (53,
//     80, 443, or the policy's allowed_ports);
//   - service-identity: an instance registered without a workload identity
//     (no audience in its meta key orbit-identity-aud, which orbit records
//     when the orchestrator registers a service with an identity block);
//   - ha-count: a user-facing service (any instance tagged
//     traefik.enable=true or user-facing) running fewer than two instances
//     (the policy's min_count), and any service all of whose instances are
//     critical;
//   - acl: ACLs are disabled.
//
// Instances declare exceptions in their meta as internal/policy defines
// them for jobs (orbit-exception-<rule> = "legacy|external|compliance:
// reason"); an excepted finding has severity info. A service-level
// finding is excepted when every instance of the service declares it.
//
// It is pure: Check is a function of a Cluster and a policy.Config, with
// no I/O, no clock and no state. It does not fetch the cluster (the "orbit
// audit" command in internal/cli fills a Cluster from the HTTP API; an
// agent-side caller can convert view.Entry values with audit.Entry(e)) and
// does not print (internal/report does). It imports catalog, policy (for
// rule ids, severities and configuration) and report (for the finding
// type).
package audit
