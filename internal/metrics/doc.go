// Package metrics is the agent's Netdata half of monitoring: it collects
// the node's and orbit's own metrics every second, keeps them in a
// bounded in-memory store (metrics/tsdb) and answers Netdata's v1 API
// (/api/v1/info, charts, chart, data, allmetrics, alarms, alarm_log),
// Consul's /v1/agent/metrics and Nomad's /v1/metrics in their JSON shapes
// (Prometheus text with ?format=prometheus) and /metrics.
//
// Sources: /proc and /sys under Config.Root (node.go, parsed by
// metrics/procfs), the agent's Prometheus registry (prom.go).
//
// It is not the alert engine nor the anomaly detector (internal/alert,
// internal/anomaly). The agent wires it; it imports httpkit and its own
// sub-packages only.
package metrics
