package acl

// Built-in IDs, as Consul has them.
const (
	GlobalManagementID = "00000000-0000-0000-0000-000000000001"
	GlobalReadOnlyID   = "00000000-0000-0000-0000-000000000002"
	// AnonymousTokenID is the accessor of the token used when a request
	// carries none.
	AnonymousTokenID = "00000000-0000-0000-0000-000000000002"
)

// globalManagementRules are Consul's global-management rules plus Nomad's
// write rules. Compile does not need them (holding the policy ID grants
// everything); they are what the API shows.
const globalManagementRules = `acl = "write"
agent_prefix "" {
  policy = "write"
}
event_prefix "" {
  policy = "write"
}
key_prefix "" {
  policy = "write"
}
keyring = "write"
node_prefix "" {
  policy = "write"
}
operator = "write"
mesh = "write"
peering = "write"
query_prefix "" {
  policy = "write"
}
service_prefix "" {
  policy     = "write"
  intentions = "write"
}
session_prefix "" {
  policy = "write"
}
namespace "*" {
  policy       = "write"
  capabilities = ["alloc-node-exec", "csi-register-plugin", "host-volume-write"]
}
host_volume "*" {
  policy = "write"
}
quota {
  policy = "write"
}
plugin {
  policy = "write"
}
`

// globalReadOnlyRules are Consul's builtin/global-read-only rules plus
// Nomad's read rules.
const globalReadOnlyRules = `acl = "read"
agent_prefix "" {
  policy = "read"
}
event_prefix "" {
  policy = "read"
}
key_prefix "" {
  policy = "read"
}
keyring = "read"
node_prefix "" {
  policy = "read"
}
operator = "read"
mesh = "read"
peering = "read"
query_prefix "" {
  policy = "read"
}
service_prefix "" {
  policy     = "read"
  intentions = "read"
}
session_prefix "" {
  policy = "read"
}
namespace "*" {
  policy = "read"
}
host_volume "*" {
  policy = "read"
}
quota {
  policy = "read"
}
plugin {
  policy = "read"
}
`

// GlobalManagement is the built-in policy that grants everything.
func GlobalManagement() Policy {
	return Policy{ID: GlobalManagementID, Name: "global-management",
		Description: "Builtin Policy that grants unlimited access", Rules: globalManagementRules}
}

// GlobalReadOnly is the built-in policy that grants read on everything,
// under Consul's name for it.
func GlobalReadOnly() Policy {
	return Policy{ID: GlobalReadOnlyID, Name: "builtin/global-read-only",
		Description: "Builtin Policy that grants unlimited read-only access to all components", Rules: globalReadOnlyRules}
}

// Builtins are the built-in policies, management first.
func Builtins() []Policy { return []Policy{GlobalManagement(), GlobalReadOnly()} }
