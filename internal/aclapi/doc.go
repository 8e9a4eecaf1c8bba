// Package aclapi serves Consul's ACL endpoints on the agent's API port:
// /v1/acl/bootstrap, /v1/acl/token (create, read, update, delete, self,
// clone), /v1/acl/tokens (with Consul's policy, role, authmethod and
// servicename filters), /v1/acl/policy, /v1/acl/policies, /v1/acl/role and
// /v1/acl/roles, with Consul's JSON field names so consul/api and the
// consul CLI work unchanged. Each endpoint asks acl:read or acl:write of
// the request's token through httpkit; reads come from the view, writes go
// to the store as transactions and are answered once the view shows them.
//
// It does not resolve tokens for other endpoints (aclresolve) nor decide
// rules (acl). agent mounts it.
package aclapi
