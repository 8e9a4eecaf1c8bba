package agent

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/alert"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/metrics/tsdb"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/webhook"
)

// alertsElection is the etcd election under which one server evaluates
// the cluster's alerts (nodes, services, checks), so each is sent once.
const alertsElection = "alerts"

// AlertsConfig is the agent config's `alerts { ... }` block. Alerts are
// on by default; without a webhook they are only logged (and kept in the
// alert log).
type AlertsConfig struct {
	// Webhooks receive the notices: `webhook "NAME" { url format }`.
	Webhooks []webhook.Hook `hcl:"webhook,block"`
	// Every is how often the rules are evaluated (default 10s).
	Every string `hcl:"every,optional"`
	// RepeatEvery repeats a lasting critical notice (default 1h).
	RepeatEvery string `hcl:"repeat_every,optional"`
	// CheckCriticalFor is how long a check stays critical before it is
	// notified (default 5m).
	CheckCriticalFor string `hcl:"check_critical_for,optional"`
}

// alertConfig parses the block (nil: defaults) into the engine's settings.
func (b *AlertsConfig) alertConfig() (alert.Config, error) {
	var c alert.Config
	if b != nil {
		for _, d := range []struct {
			name, v string
			dst     *time.Duration
		}{{"every", b.Every, &c.Every}, {"repeat_every", b.RepeatEvery, &c.RepeatEvery},
			{"check_critical_for", b.CheckCriticalFor, &c.CheckCriticalFor}} {
			if d.v == "" {
				continue
			}
			v, err := time.ParseDuration(d.v)
			if err != nil || v <= 0 {
				return c, fmt.Errorf("alerts %s %q: want a positive duration such as \"5m\"", d.name, d.v)
			}
			*d.dst = v
		}
		for _, h := range b.Webhooks {
			if err := h.Validate(); err != nil {
				return c, fmt.Errorf("alerts: %w", err)
			}
		}
	}
	c = c.WithDefaults()
	return c, c.Validate()
}

// startAlerts runs the alert evaluation and the webhook notifier with run
// on every agent: each evaluates its own node's metrics (disks, memory,
// anomaly rate), and the server that leads the alerts election the
// cluster's view too (nodes, services, checks), so each notice is sent once.
func (a *Agent) startAlerts(run func(string, func(context.Context) error)) error {
	cfg, err := a.cfg.Alerts.alertConfig()
	if err != nil {
		return err
	}
	eng, err := alert.New(cfg)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	var hooks []webhook.Hook
	if a.cfg.Alerts != nil {
		hooks = a.cfg.Alerts.Webhooks
	}
	log := a.log.With("component", "alerts")
	n, err := webhook.New(webhook.Config{Hooks: hooks, Host: a.cfg.Datacenter, Clock: a.clock, Logger: log, Recorder: eng})
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	a.alerts = eng
	run("alert-notifier", n.Run)
	if a.cfg.Server {
		run("alerts-election", a.leadAlerts)
	}
	run("alerts", func(ctx context.Context) error { return a.evaluateAlerts(ctx, eng, n) })
	return nil
}

// Alerts is the agent's alert engine, for the metrics API's
// /api/v1/alarms and /api/v1/alarm_log.
func (a *Agent) Alerts() *alert.Engine { return a.alerts }

// leadAlerts campaigns for the alerts election and marks this server the
// cluster's evaluator while it leads, until ctx ends.
func (a *Agent) leadAlerts(ctx context.Context) error {
	for ctx.Err() == nil {
		l, err := a.store.Campaign(ctx, alertsElection, a.cfg.NodeName)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.log.Warn("alerts election failed; retrying", "component", "alerts", "err", err)
			select {
			case <-ctx.Done():
			case <-a.clock.After(time.Second):
			}
			continue
		}
		a.alertsLeader.Store(true)
		<-l.Context().Done()
		a.alertsLeader.Store(false)
		if err := l.Resign(ctx); err != nil {
			a.log.Debug("resign", "component", "alerts", "err", err)
		}
	}
	return nil
}

// evaluateAlerts evaluates the rules every Every and queues the notices.
// The cluster's alerts are evaluated only while this server leads: when
// leadership moves away they are handed over, forgotten here without a
// resolved notice (the condition may still hold), and the new leader
// raises those that still hold.
func (a *Agent) evaluateAlerts(ctx context.Context, eng *alert.Engine, n *webhook.Notifier) error {
	log := a.log.With("component", "alerts")
	led := false
	for {
		leads := a.alertsLeader.Load()
		if led && !leads {
			eng.HandOver(a.clock.Now(), alert.IsCluster)
		}
		led = leads
		var in alert.Input
		if a.metrics != nil {
			in = nodeAlertInput(a.cfg.NodeName, a.metrics.DB())
		}
		in.Etcd = etcdAlertInput(a.cfg.NodeName, a.store)
		in.Certificates = a.certAlertInput()
		if leads {
			c := alertInput(a.view)
			in.Nodes, in.Services, in.Checks, in.Allocations = c.Nodes, c.Services, c.Checks, c.Allocations
		}
		for _, ev := range eng.Evaluate(a.clock.Now(), in) {
			log.Warn("alert", "kind", ev.Kind, "alert", ev.Key.ID(), "node", ev.Key.Node, "summary", ev.Summary)
			n.Notify(ev)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.clock.After(eng.Config().Every):
		}
	}
}

// nodeAlertInput is what the node's own metrics say for the rules: its
// filesystems' space and inodes (used of avail+used, Netdata's
// disk_space_usage), its memory available and memory pressure (PSI full
// avg60), and its anomaly rate.
func nodeAlertInput(node string, db *tsdb.DB) alert.Input {
	var in alert.Input
	latest := func(id string, n int) []float64 {
		_, v, err := db.Latest(id)
		if err != nil || len(v) < n {
			return nil
		}
		for _, x := range v[:n] {
			if math.IsNaN(x) {
				return nil
			}
		}
		return v
	}
	disks := map[string]*alert.Disk{}
	var mounts []string
	for _, c := range db.Charts() {
		space, inodes := strings.HasPrefix(c.ID, "disk_space."), strings.HasPrefix(c.ID, "disk_inodes.")
		if !space && !inodes {
			continue // decode only the charts the rules read
		}
		v := latest(c.ID, 2)
		if v == nil {
			continue
		}
		d := disks[c.Family]
		if d == nil {
			d = &alert.Disk{Node: node, Mount: c.Family}
			disks[c.Family] = d
			mounts = append(mounts, c.Family)
		}
		avail, used := max(v[0], 0), max(v[1], 0)
		if space { // GiB
			d.UsedBytes, d.TotalBytes = uint64(used*(1<<30)), uint64((avail+used)*(1<<30))
		} else {
			d.UsedInodes, d.TotalInodes = uint64(used), uint64(avail+used)
		}
	}
	for _, m := range mounts {
		in.Disks = append(in.Disks, *disks[m])
	}
	if av, ram := latest("mem.available", 1), latest("system.ram", 4); av != nil && ram != nil {
		if total := ram[0] + ram[1] + ram[2] + ram[3]; total > 0 {
			m := alert.Memory{Node: node, AvailablePercent: 100 * av[0] / total, PressureFull: -1}
			if p := latest("system.memory_full_pressure", 2); p != nil {
				m.PressureFull = p[1]
			}
			in.Memory = append(in.Memory, m)
		}
	}
	if r := latest("anomaly_detection.anomaly_rate", 1); r != nil {
		in.Anomaly = append(in.Anomaly, alert.NodeAnomaly{Node: node, Rate: r[0]})
	}
	return in
}

// certAlertInput is the certificates this edge serves: the edge_config's
// certificate files (read at each evaluation, so a replaced file counts)
// and the ACME resolvers' certificates.
func (a *Agent) certAlertInput() []alert.Certificate {
	if !a.cfg.Edge {
		return nil
	}
	var out []alert.Certificate
	if ec := a.cfg.EdgeCfg; ec != nil {
		for _, c := range ec.Certificates {
			name, notAfter, err := certFileExpiry(c.CertFile)
			if err != nil {
				continue // the edge logs unreadable files where it loads them
			}
			out = append(out, alert.Certificate{Node: a.cfg.NodeName, Name: name, NotAfter: notAfter})
		}
	}
	if a.certs != nil {
		for _, c := range a.certs.Certificates() {
			if !c.NotAfter.IsZero() {
				out = append(out, alert.Certificate{Node: a.cfg.NodeName, Name: c.Name, NotAfter: c.NotAfter})
			}
		}
	}
	return out
}

// certFileExpiry reads a PEM certificate file's first certificate: its
// name (common name, else first DNS name, else the file) and expiry.
func certFileExpiry(path string) (string, time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read certificate: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return "", time.Time{}, fmt.Errorf("certificate %s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("certificate %s: %w", path, err)
	}
	name := c.Subject.CommonName
	if name == "" && len(c.DNSNames) > 0 {
		name = c.DNSNames[0]
	}
	if name == "" {
		name = filepath.Base(path)
	}
	return name, c.NotAfter, nil
}

// dbUsage is the store member's database size and quota (*store.Store).
type dbUsage interface {
	DBUsage() (size, quota int64, ok bool)
}

var _ dbUsage = (*store.Store)(nil)

// etcdAlertInput is this node's embedded store member's database against
// its quota (nothing for an external cluster).
func etcdAlertInput(node string, s dbUsage) []alert.Etcd {
	size, quota, ok := s.DBUsage()
	if !ok {
		return nil
	}
	return []alert.Etcd{{Member: node, DBSize: size, DBQuota: quota}}
}

// alertInput is what the view knows for the rules: agent nodes and their
// liveness, services and how many instances pass, checks and whether they
// are critical (the liveness check is node_down's business), and the tasks
// of running allocations with their restarts and OOM kills (from the task
// events the client keeps).
func alertInput(v *view.View) alert.Input {
	var in alert.Input
	for _, nd := range v.Nodes() {
		if nd.Agent {
			in.Nodes = append(in.Nodes, alert.Node{Name: nd.Name, Alive: v.Alive(nd.Name)})
		}
	}
	for _, name := range v.ServiceNames() {
		es := v.Entries(name)
		passing := 0
		for _, e := range es {
			if e.Status == catalog.Passing {
				passing++
			}
		}
		in.Services = append(in.Services, alert.Service{Name: name, Instances: len(es), Passing: passing})
	}
	for _, c := range v.AllChecks() {
		if c.CheckID == catalog.SerfCheckID {
			continue
		}
		in.Checks = append(in.Checks, alert.Check{Node: c.Node, ID: c.CheckID, Name: c.Name, Service: c.ServiceName,
			Critical: c.Status == catalog.Critical})
	}
	for _, as := range v.Allocs() {
		al, st := as.Alloc.V, as.Status.V
		if al == nil || st == nil || st.Terminal() || al.Lost {
			continue
		}
		tasks := make([]string, 0, len(st.TaskStates))
		for name := range st.TaskStates {
			tasks = append(tasks, name)
		}
		sort.Strings(tasks)
		for _, name := range tasks {
			a := alert.Allocation{ID: al.ID, Node: al.Node, Job: al.JobID, Group: al.TaskGroup, Task: name}
			for _, e := range st.TaskStates[name].Events {
				if e.Type == "Restarting" {
					a.Restarts = append(a.Restarts, e.Time)
				}
				if e.OOM {
					a.OOMKilled = e.Time
				}
			}
			in.Allocations = append(in.Allocations, a)
		}
	}
	return in
}
