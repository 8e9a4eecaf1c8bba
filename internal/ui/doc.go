// Package ui is orbit's web dashboard at /ui/: the whole cluster (services,
// nodes, KV, jobs, allocations, edge, DNS, monitoring, ACLs) in one place,
// live, served by every agent from the binary.
//
// Pages are server-rendered with html/template. A page is asked for twice:
// the browser navigates to /ui/<page> and gets the shell (layout, navigation,
// filter box), then the shell's small script (static/ui.js) asks the same
// URL with the header X-Orbit-Fragment and the ACL token kept in the
// browser session, and gets the page's content rendered for that token.
// The answer carries X-Orbit-Index; asking again with ?index=N blocks until
// the state passes N (as Consul's blocking queries do), so checks that flip,
// allocations that start and routes that appear show without a reload.
//
// Reads go through the agent's own public APIs in process (Deps.API, with
// the caller's token, so the ACL filtering is the API's) or, for the
// catalog pages that must stay fast with 10,000 instances, the typed view
// with each item asked of the authorizer. Writes never go through this
// package: the script sends them to the public API with the token and shows
// the server's message when it refuses.
//
// It is not an API: nothing here is meant for scripts, and it holds no
// state of its own. The agent mounts it; it imports only plain types,
// pure logic, the view and httpkit.
package ui
