package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/orbit/orbit/internal/alert"
	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
	"github.com/orbit/orbit/internal/webhook"
)

// alertsElection is the etcd election under which one server evaluates
// the cluster's alerts, so each notice is sent once.
const alertsElection = "alerts"

// AlertsConfig is the agent config's `alerts { ... }` block. Alerts are
// on by default on servers; without a webhook they are only logged (and
// kept in the alert log).
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

// startAlerts runs, on servers, the alert evaluation (under an election)
// and the webhook notifier with run.
func (a *Agent) startAlerts(run func(string, func(context.Context) error)) error {
	if !a.cfg.Server {
		return nil
	}
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
	run("alerts", func(ctx context.Context) error { return a.evaluateAlerts(ctx, eng, n) })
	return nil
}

// Alerts is the alert engine (servers; nil otherwise), for the metrics
// API's /api/v1/alarms and /api/v1/alarm_log.
func (a *Agent) Alerts() *alert.Engine { return a.alerts }

// evaluateAlerts evaluates the rules every Every while this server leads
// the alerts election, and queues the notices. A new leader starts with no
// state: alerts still critical are notified again.
func (a *Agent) evaluateAlerts(ctx context.Context, eng *alert.Engine, n *webhook.Notifier) error {
	log := a.log.With("component", "alerts")
	for ctx.Err() == nil {
		l, err := a.store.Campaign(ctx, alertsElection, a.cfg.NodeName)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("alerts election failed; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-a.clock.After(time.Second):
			}
			continue
		}
		lead := l.Context()
		for lead.Err() == nil {
			for _, ev := range eng.Evaluate(a.clock.Now(), alertInput(a.view)) {
				log.Warn("alert", "kind", ev.Kind, "alert", ev.Key.ID(), "node", ev.Key.Node, "summary", ev.Summary)
				n.Notify(ev)
			}
			select {
			case <-lead.Done():
			case <-a.clock.After(eng.Config().Every):
			}
		}
		if err := l.Resign(ctx); err != nil {
			log.Debug("resign", "err", err)
		}
	}
	return nil
}

// alertInput is what the view knows for the rules: agent nodes and their
// liveness, services and how many instances pass, checks and whether they
// are critical (the liveness check is node_down's business).
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
	return in
}
