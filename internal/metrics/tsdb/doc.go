// Package tsdb is orbit's in-memory, bounded time-series store for the
// per-second metrics the agent collects (Netdata's half of monitoring).
//
// It holds charts of dimensions; each dimension keeps three tiers:
//   - per second, in compressed chunks (chunk.go: Gorilla-style
//     delta-of-delta timestamps, integer values as the residual of a
//     predictor, float values as XOR with the previous one, one anomaly bit
//     per sample), dropped oldest first past the configured retention;
//   - per minute and per hour, fixed rings of aggregates (sum, min, max,
//     count, anomaly count) sized by the configuration.
//
// Memory is therefore bounded by the configuration and the number of
// dimensions, never by uptime. Queries (query.go) pick the finest tier that
// covers the asked range and group samples into points as Netdata's
// /api/v1/data does.
//
// It is pure: no files, no network, no goroutines; time is passed in. The
// metrics feature (internal/metrics) imports it.
package tsdb
