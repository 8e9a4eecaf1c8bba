// Package identity signs workload identities: JSON Web Tokens (RS256, as
// Nomad's default) with Nomad's claims (nomad_namespace, nomad_job_id,
// nomad_allocation_id, nomad_task or nomad_service, sub as
// "region:namespace:job:group:task-or-service:identity"), and publishes
// the public keys at /.well-known/jwks.json and the OIDC discovery document
// at /.well-known/openid-configuration, so any standard JWT verifier (a
// Consul or Vault JWT auth method, a library) can check them.
//
// It holds:
//   - rotation.go: the pure rotation decision (Decide): which key signs now,
//     which keys are published, when a new key is due and which keys may be
//     dropped. A new key is published PublishAhead before it signs; a
//     retired key stays published until every token it signed has expired
//     (tokens live at most MaxTokenTTL).
//   - jwt.go: a minimal JWT encoding (header, claims, RS256 signature,
//     base64url) and Verify, for tests and for the login work to come.
//   - jwks.go: the JWKS and discovery documents.
//   - signer.go: Signer, which keeps the keyring in the store through the
//     small Storage interface (every server shares the same keys; creation
//     is a compare-and-swap, so racing servers agree), rotates it on a
//     clock, and signs.
//   - http.go: the two public endpoints, served without ACL on every API
//     listener (agent mounts them); the JWKS is a blocking query whose index
//     counts this server's changes of the published set.
//
// What it is not: it does not hand tokens to tasks (the client writes
// NOMAD_TOKEN and secrets/nomad_token through its own IdentitySigner, which
// agent backs with Sign), renew them, derive Consul ACL tokens or verify
// logins; renewal, derivation and login are later steps of the security
// work. The private keys are stored
// unencrypted in the store, as the CA root is today: encrypting them at rest
// with a key only servers hold is a later step.
//
// Who imports it: agent (creates the Signer on servers, mounts its
// handler). It imports only the HTTP kit.
package identity
