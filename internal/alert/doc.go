// Package alert is orbit's critical-only alerting as pure evaluation: plain
// inputs about the cluster and `now` go in (nodes, disks, memory, services,
// checks, allocations, certificates, etcd, anomaly rates), the built-in
// rules turn them into findings, and one state machine per alert instance
// decides what to notify: a critical notice once the condition has held
// long enough, repeats at a set interval, and a resolved notice.
//
// It also keeps the alert log and shapes both as Netdata's /api/v1/alarms
// and /api/v1/alarm_log answers, so the metrics API can serve them.
//
// It is not a collector nor a sender: it reads no clock, starts no
// goroutine and does no I/O; the agent builds Input from the view and the
// metrics, and hands the Events to the webhook notifier. Imported by the
// agent, the webhook notifier and the metrics API.
package alert
