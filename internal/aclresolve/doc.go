// Package aclresolve turns a request's secret token into its compiled
// authorizer (acl.Resolver): the secret's accessor from the store's
// server-only secrets, the token, its roles and policies from the view,
// compiled with the agent's default_policy and kept in a short cache that
// any ACL change invalidates (the view's ACL index) and token_ttl bounds.
// A request without a token gets the agent's default token or the
// anonymous token; when the store cannot be reached, down_policy decides.
//
// It does not store ACL objects (store), serve /v1/acl/* (aclapi) or ask
// for permissions (acl.Enforcer, httpkit). agent wires it.
package aclresolve
