// Package filter implements the expression language of Consul's `filter`
// query parameter (the go-bexpr language), written from Consul's API
// documentation.
//
// Parse compiles an expression such as
//
//	Service.Tags contains "v2" and Checks.Status == passing
//
// into an *Expr once per request; Expr.Match evaluates it over a value shaped
// like the output of encoding/json decoding into any (map[string]any, []any,
// string, float64, bool, nil), and Filter applies it to a slice of API
// response objects by marshaling each one to JSON once. Syntax errors wrap
// ErrInvalid and name the problem and its column, so the API can answer 400
// with the message as is.
//
// What it is not: it does not import go-bexpr, does not know Consul's types
// (a selector naming a field that is absent simply does not match, where
// Consul would reject it for a typed struct), and has no I/O, goroutines or
// global mutable state. It does not implement bexpr's JSON-pointer selectors,
// inline value lists or ordering operators, which Consul does not document.
//
// Who imports it: api, for /v1/health/service/:name, /v1/catalog/service/:name,
// /v1/catalog/nodes, /v1/catalog/services, /v1/agent/services,
// /v1/agent/checks, /v1/health/checks/:name and /v1/health/state/:state. It
// imports nothing internal.
package filter
