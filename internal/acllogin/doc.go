// Package acllogin is the pure core of ACL logins with Consul's "jwt" auth
// method: the method's configuration (ParseJWTConfig), the verification of
// a bearer JWT against configured public keys or a JWKS already fetched
// (Verify: signature, issuer, audiences, times with leeways), the mapping
// of its claims to the identity's attributes (ClaimMappings as value.<x>,
// ListClaimMappings as list.<x>), and the binding rules applied to that
// identity (Bind: selectors in the filter language, ${value.x} in bind
// names, service/role/node/policy bind types).
//
// It does no I/O: fetching a JWKS URL, reading roles and policies and
// storing the login token are aclapi's. It imports acl (plain types),
// filter (the selector language) and go-jose (JWS parsing and signature
// checks). Who imports it: aclapi.
package acllogin
