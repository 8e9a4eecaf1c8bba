// Package proxy is orbit's edge load balancer: it listens on the entry
// points, matches each request against the route table that package
// routing builds from the catalog's Traefik tags, runs the router's
// middlewares and forwards to a healthy instance of its service.
//
// It owns everything that happens per request and per connection: TLS by
// SNI (certificate files, and certificates issued on the fly by the
// internal CA for router host names), HTTP/1.1 and HTTP/2, WebSocket and
// streaming, X-Forwarded-* headers, balancing (power of two choices over
// least outstanding requests, weighted round robin, sticky cookies),
// passive ejection of failing instances, retries on connection failure,
// the middlewares' HTTP behaviour, the access log, metrics, and the
// /v1/edge/* API listing what is live.
//
// What it is not: it does not parse tags or rules (routing does, purely),
// run health checks (health does), build the route table from the catalog
// (routefeed does, flap damping included, and hands it over through
// SetRoutes), or mint CA material (pki does). It never imports another
// feature nor the view: the certificate issuer comes in as a small
// interface declared here.
//
// The hot path reads one immutable table through an atomic pointer; the
// table is compiled from each route table handed to SetRoutes and swapped
// whole. Plain requests (no body, no upgrade, to http backends) are
// forwarded over pooled HTTP/1.1 connections from the handler's goroutine
// (h1.go); the rest goes through httputil.ReverseProxy.
// Per-request shared state is limited to per-backend atomic counters and
// the rate limiter's per-client atomic cells.
//
// Who imports it: agent, which wires New(cfg, deps) and Run(ctx), mounts
// API() on the API listener and gives the proxy to routefeed as a sink.
package proxy
