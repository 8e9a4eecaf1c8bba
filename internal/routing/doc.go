// Package routing turns the Traefik tags of service instances into an
// immutable route table for orbit's edge load balancer.
//
// It holds three things:
//
//   - a tokenizer, recursive-descent parser and matcher for Traefik v3's rule
//     language (Host, HostRegexp, Path, PathPrefix, PathRegexp, Method, Header,
//     HeaderRegexp, Query, QueryRegexp, ClientIP with &&, ||, ! and
//     parentheses): ParseRule, Rule.Match, Rule.Hosts;
//   - the reading of `traefik.*` tags with the semantics and defaults of
//     Traefik's Consul Catalog provider (routers, services, middlewares,
//     default router and service, exposedByDefault): CheckTag;
//   - Build, which turns a config plus every service's instances into a
//     *Table: per entry point the routers in priority order, each with its
//     parsed rule, TLS settings, typed middleware chain and service with its
//     backends, plus per-element errors.
//
// What it is not: it does no I/O, starts no goroutines and keeps no global
// mutable state; it does not proxy, terminate TLS, obtain certificates or run
// health checks. Time never enters its decisions.
//
// Who imports it: proxy (swaps the *Table behind an atomic pointer and calls
// Table.Match per request), dns (Table.Hosts to publish router host names),
// api (the /v1/edge/routers listings) and policy (CheckTag on job service
// tags). It imports nothing internal.
package routing
