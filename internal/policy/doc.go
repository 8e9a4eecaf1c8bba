// Package policy checks jobs against orbit's infrastructure standards:
// dynamic ports only, a health check with sane timing and an identity for
// every service, pinned images, declared resources, no literal secrets, no
// hard-coded addresses, Traefik tags that parse and routed services that run
// at least two instances. Each rule yields findings with a rule id, a
// severity, the source position and a message that says what to do instead.
//
// Jobs may declare reasoned exceptions for the standard's named cases
// (legacy systems, external services, compliance) in their meta:
//
//	meta {
//	  orbit-exception-dynamic-ports = "legacy: the appliance only speaks 8443"
//	}
//
// The key is orbit-exception-<rule> or orbit.policy.exception.<rule> ("."
// and "_" may replace "-" anywhere), at job, group, task or service level;
// the innermost applies. The value is "legacy|external|compliance: reason".
// An excepted finding is reported with severity info; a malformed exception
// or one naming no rule is itself a finding of rule "exception".
//
// It is pure: a function of a job.Job and a Config, with no I/O, no clock
// and no state. It is not a parser (internal/jobspec builds the job) and
// not a command (internal/jobvalidate prints findings). Admit decides a
// submission under an enforcement Mode (off, warn, strict); the agent wires
// it into the Nomad API. Its only internal imports are job and
// routing (to check Traefik tags with the proxy's own parser).
package policy
