package catalog

// Active-passive roles: the client tags the service instances of a group
// with an active_passive block with the role of their allocation (the
// holder of the group's lock is primary) and records it under the meta
// key MetaActivePassiveRole, which the edge reads to route to the primary
// only.
const (
	RolePrimary           = "primary"
	RoleStandby           = "standby"
	MetaActivePassiveRole = "orbit-active-passive"
)
