package alert

import (
	"fmt"
	"strings"
	"time"
)

// Key names one alert instance: the node it is about ("" for the
// cluster's), and Netdata's chart and alarm name.
type Key struct {
	Node, Chart, Name string
}

// ID is the key as Netdata lists alarms: "chart.name".
func (k Key) ID() string { return k.Chart + "." + k.Name }

// Finding is one rule's verdict on one subject at one instant.
type Finding struct {
	Key      Key
	Critical bool
	// For is how long Critical must hold before it is notified.
	For time.Duration
	// Value is the measured value, in Units ("%", "seconds", "restarts").
	Value float64
	Units string
	// Info says what the alert means, Summary what is wrong now.
	Info, Summary string
	// Netdata's classification: class, type, component, family.
	Class, Type, Component, Family string
}

// Rules evaluates the built-in rules over in at now: one finding per
// subject, critical or not, in a stable order.
func Rules(cfg Config, in Input, now time.Time) []Finding {
	var out []Finding
	add := func(f Finding) { out = append(out, f) }

	for _, n := range in.Nodes {
		add(Finding{Key: Key{n.Name, "orbit.node", "node_down"}, Critical: !n.Alive, Value: b2f(!n.Alive), Units: "status",
			Info: "the node's agent stopped renewing its lease", Summary: fmt.Sprintf("node %s is down", n.Name),
			Class: "Availability", Type: "System", Component: "Node", Family: "nodes"})
	}
	for _, d := range in.Disks {
		chart := mountChart(d.Mount)
		if d.TotalBytes > 0 {
			p := percent(d.UsedBytes, d.TotalBytes)
			add(Finding{Key: Key{d.Node, "disk_space." + chart, "disk_space_usage"}, Critical: p >= cfg.DiskUsedPercent, Value: p, Units: "%",
				Info: fmt.Sprintf("disk space used on %s", d.Mount), Summary: fmt.Sprintf("disk %s on %s is %.1f%% full", d.Mount, d.Node, p),
				Class: "Utilization", Type: "System", Component: "Disk", Family: d.Mount})
		}
		if d.TotalInodes > 0 {
			p := percent(d.UsedInodes, d.TotalInodes)
			add(Finding{Key: Key{d.Node, "disk_inodes." + chart, "disk_inode_usage"}, Critical: p >= cfg.InodesUsedPercent, Value: p, Units: "%",
				Info: fmt.Sprintf("inodes used on %s", d.Mount), Summary: fmt.Sprintf("disk %s on %s has used %.1f%% of its inodes", d.Mount, d.Node, p),
				Class: "Utilization", Type: "System", Component: "Disk", Family: d.Mount})
		}
	}
	for _, m := range in.Memory {
		add(Finding{Key: Key{m.Node, "mem.available", "ram_available"}, Critical: m.AvailablePercent < cfg.MemoryAvailablePercent, Value: m.AvailablePercent, Units: "%",
			Info: "memory available to start new work", Summary: fmt.Sprintf("node %s has %.1f%% of its memory available", m.Node, m.AvailablePercent),
			Class: "Utilization", Type: "System", Component: "Memory", Family: "ram"})
		if m.PressureFull >= 0 {
			add(Finding{Key: Key{m.Node, "system.memory_full_pressure", "memory_pressure"}, Critical: m.PressureFull >= cfg.MemoryPressurePercent, Value: m.PressureFull, Units: "%",
				Info: "share of the last minute all tasks stalled on memory (PSI full avg60)", Summary: fmt.Sprintf("node %s stalled on memory %.1f%% of the last minute", m.Node, m.PressureFull),
				Class: "Latency", Type: "System", Component: "Memory", Family: "ram"})
		}
	}
	for _, s := range in.Services {
		down := s.Instances > 0 && s.Passing == 0
		add(Finding{Key: Key{"", "orbit.service_" + s.Name, "service_unavailable"}, Critical: down, Value: float64(s.Passing), Units: "instances",
			Info: "passing instances of the service", Summary: fmt.Sprintf("service %s has no passing instance (%d registered)", s.Name, s.Instances),
			Class: "Availability", Type: "Service", Component: s.Name, Family: "services"})
	}
	for _, c := range in.Checks {
		add(Finding{Key: Key{c.Node, "orbit.check_" + c.ID, "check_critical"}, Critical: c.Critical, For: cfg.CheckCriticalFor, Value: b2f(c.Critical), Units: "status",
			Info: fmt.Sprintf("check %q critical for %s", c.Name, cfg.CheckCriticalFor), Summary: fmt.Sprintf("check %s of %s on %s is critical", c.ID, nonEmpty(c.Service, "the node"), c.Node),
			Class: "Errors", Type: "Service", Component: nonEmpty(c.Service, "node"), Family: "checks"})
	}
	for _, a := range in.Allocations {
		chart := "orbit.alloc_" + a.ID + "_" + a.Task
		n := 0
		for _, r := range a.Restarts {
			if !r.After(now) && now.Sub(r) < cfg.RestartLoopWindow {
				n++
			}
		}
		add(Finding{Key: Key{a.Node, chart, "alloc_restart_loop"}, Critical: n >= cfg.RestartLoopCount, Value: float64(n), Units: "restarts",
			Info: fmt.Sprintf("restarts within %s", cfg.RestartLoopWindow), Summary: fmt.Sprintf("task %s of %s/%s restarted %d times in %s", a.Task, a.Job, a.Group, n, cfg.RestartLoopWindow),
			Class: "Errors", Type: "Workload", Component: a.Job, Family: a.Job})
		oom := !a.OOMKilled.IsZero() && !a.OOMKilled.After(now) && now.Sub(a.OOMKilled) < cfg.OOMWindow
		add(Finding{Key: Key{a.Node, chart, "alloc_oom_killed"}, Critical: oom, Value: b2f(oom), Units: "status",
			Info: fmt.Sprintf("OOM-killed within %s", cfg.OOMWindow), Summary: fmt.Sprintf("task %s of %s/%s was killed out of memory", a.Task, a.Job, a.Group),
			Class: "Errors", Type: "Workload", Component: a.Job, Family: a.Job})
	}
	for _, c := range in.Certificates {
		left := c.NotAfter.Sub(now)
		add(Finding{Key: Key{c.Node, "orbit.cert_" + c.Name, "certificate_expiry"}, Critical: left < cfg.CertificateWithin, Value: left.Seconds(), Units: "seconds",
			Info: fmt.Sprintf("time until the certificate expires (critical within %s)", cfg.CertificateWithin), Summary: fmt.Sprintf("certificate %s expires %s", c.Name, c.NotAfter.UTC().Format(time.RFC3339)),
			Class: "Errors", Type: "Security", Component: "Certificates", Family: "certificates"})
	}
	for _, e := range in.Etcd {
		if e.DBQuota <= 0 {
			continue
		}
		p := 100 * float64(e.DBSize) / float64(e.DBQuota)
		add(Finding{Key: Key{e.Member, "orbit.etcd", "etcd_db_quota"}, Critical: p >= cfg.EtcdQuotaPercent, Value: p, Units: "%",
			Info: "store database size of its quota", Summary: fmt.Sprintf("store member %s is at %.1f%% of its quota", e.Member, p),
			Class: "Utilization", Type: "Database", Component: "etcd", Family: "store"})
	}
	for _, a := range in.Anomaly {
		add(Finding{Key: Key{a.Node, "anomaly_detection.anomaly_rate", "node_anomaly_rate"}, Critical: a.Rate >= cfg.AnomalyRatePercent, For: cfg.AnomalyFor, Value: a.Rate, Units: "%",
			Info: fmt.Sprintf("share of the node's metrics anomalous, critical at %g%% for %s", cfg.AnomalyRatePercent, cfg.AnomalyFor), Summary: fmt.Sprintf("node %s has %.1f%% of its metrics anomalous", a.Node, a.Rate),
			Class: "Anomaly", Type: "System", Component: "Node", Family: "anomaly_detection"})
	}
	return out
}

// mountChart is a mount point as Netdata names its disk charts ("/" is
// "_", other slashes become "_" too: "/var/lib" is "_var_lib").
func mountChart(mount string) string {
	if mount == "/" {
		return "_"
	}
	return strings.ReplaceAll(mount, "/", "_")
}

func percent(used, total uint64) float64 { return 100 * float64(used) / float64(total) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
