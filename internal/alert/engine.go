package alert

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Status is an alert's state, named as Netdata names it.
type Status string

const (
	StatusClear    Status = "CLEAR"
	StatusCritical Status = "CRITICAL"
	// StatusRemoved is logged when an alert's subject leaves the input.
	StatusRemoved Status = "REMOVED"
)

// Kind is what a notice says.
type Kind string

const (
	KindCritical Kind = "critical" // the condition has held long enough
	KindRepeat   Kind = "repeat"   // still critical, RepeatEvery later
	KindResolved Kind = "resolved" // no longer critical (or its subject is gone)
)

// Event is one notice to send.
type Event struct {
	Kind Kind
	// Finding is the alert's latest finding (key, value, summary).
	Finding
	// When is the evaluation that produced it; Since is when the alert
	// turned critical (for a resolved notice: how long it lasted).
	When, Since time.Time
	// UniqueID is the alert log entry of a critical or resolved notice
	// (0 for a repeat), for Engine.Delivered.
	UniqueID uint32
}

// alarm is one alert instance's state machine. Guarded by Engine.mu.
type alarm struct {
	id     uint32 // Netdata's alarm_id: stable while the instance exists
	f      Finding
	status Status
	// holding: since when the finding has been critical (zero: it is not).
	holding          time.Time
	lastStatusChange time.Time
	lastUpdated      time.Time
	lastNotified     time.Time
	lastRepeat       time.Time
	timesRepeat      int
	events           uint32 // alarm_event_id of its last log entry
	lastEntry        uint32 // unique_id of its last log entry
}

// Engine holds every alert's state and the alert log. Evaluate and Apply
// change it; Alarms, Log and Delivered may be called from other goroutines.
type Engine struct {
	cfg Config

	mu        sync.Mutex // guards the fields below
	alarms    map[Key]*alarm
	nextAlarm uint32
	nextEntry uint32
	log       []LogEntry // oldest first, at most cfg.LogSize
}

// New returns an engine; cfg's zero fields take their defaults.
func New(cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, alarms: map[Key]*alarm{}}, nil
}

// Config is the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Evaluate runs the built-in rules over in at now and applies the findings.
func (e *Engine) Evaluate(now time.Time, in Input) []Event {
	return e.Apply(now, Rules(e.cfg, in, now))
}

// Apply steps every alert's state machine with this instant's findings and
// returns the notices to send, in the findings' order:
//
//   - critical for at least its For: CRITICAL, one critical notice;
//   - still critical: a repeat every RepeatEvery;
//   - no longer critical: CLEAR, one resolved notice if it had been notified;
//   - its subject gone (no finding): removed, with a resolved notice if critical.
//
// A condition that clears before its For is never notified.
func (e *Engine) Apply(now time.Time, findings []Finding) []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Event
	seen := make(map[Key]bool, len(findings))
	for _, f := range findings {
		seen[f.Key] = true
		a := e.alarms[f.Key]
		if a == nil {
			e.nextAlarm++
			a = &alarm{id: e.nextAlarm, status: StatusClear, lastStatusChange: now}
			e.alarms[f.Key] = a
		}
		old := a.f
		a.f, a.lastUpdated = f, now
		if !f.Critical {
			a.holding = time.Time{}
			if a.status == StatusCritical {
				since := a.lastStatusChange
				id := e.change(a, StatusClear, old, now)
				out = append(out, Event{Kind: KindResolved, Finding: f, When: now, Since: since, UniqueID: id})
			}
			continue
		}
		if a.holding.IsZero() {
			a.holding = now
		}
		switch {
		case a.status != StatusCritical && now.Sub(a.holding) >= f.For:
			id := e.change(a, StatusCritical, old, now)
			a.lastNotified = now
			out = append(out, Event{Kind: KindCritical, Finding: f, When: now, Since: now, UniqueID: id})
		case a.status == StatusCritical && e.cfg.RepeatEvery > 0 && now.Sub(a.lastNotified) >= e.cfg.RepeatEvery:
			a.lastNotified, a.lastRepeat = now, now
			a.timesRepeat++
			out = append(out, Event{Kind: KindRepeat, Finding: f, When: now, Since: a.lastStatusChange})
		}
	}
	var gone []Key
	for k := range e.alarms {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return keyLess(gone[i], gone[j]) })
	for _, k := range gone {
		a := e.alarms[k]
		if a.status == StatusCritical {
			since := a.lastStatusChange
			id := e.change(a, StatusRemoved, a.f, now)
			out = append(out, Event{Kind: KindResolved, Finding: a.f, When: now, Since: since, UniqueID: id})
		}
		delete(e.alarms, k)
	}
	return out
}

// change moves a to status and logs it, returning the entry's unique id.
// Called with e.mu held.
func (e *Engine) change(a *alarm, status Status, old Finding, now time.Time) uint32 {
	e.nextEntry++
	a.events++
	dur := int64(now.Sub(a.lastStatusChange) / time.Second)
	entry := LogEntry{
		node:         a.f.Key.Node,
		UniqueID:     e.nextEntry,
		AlarmID:      a.id,
		AlarmEventID: a.events,
		ConfigHashID: configHash(a.f.Key.Name),
		Name:         a.f.Key.Name,
		Chart:        a.f.Key.Chart,
		Context:      a.f.Key.Chart,
		Family:       a.f.Family,
		Class:        a.f.Class,
		Component:    a.f.Component,
		Type:         a.f.Type,
		Updated:      false,
		Exec:         "webhook",
		Recipient:    "webhook",
		Source:       source,
		Units:        a.f.Units,
		When:         now.Unix(),
		Duration:     dur,
		Status:       string(status),
		OldStatus:    string(a.status),
		UpdatesID:    a.lastEntry,
		ValueString:  valueString(a.f.Value, a.f.Units),
		LastRepeat:   fmt.Sprint(unix(a.lastRepeat)),
		Silenced:     "false",
		Info:         a.f.Info,
		Value:        ptr(a.f.Value),
	}
	if a.status != StatusClear {
		entry.NonClearDuration = dur
	}
	if a.lastEntry != 0 {
		entry.OldValueString = valueString(old.Value, old.Units)
		entry.OldValue = ptr(old.Value)
		for i := range e.log {
			if e.log[i].UniqueID == a.lastEntry {
				e.log[i].UpdatedByID = entry.UniqueID
				e.log[i].Updated = true
			}
		}
	}
	a.lastEntry = entry.UniqueID
	a.status, a.lastStatusChange = status, now
	e.log = append(e.log, entry)
	if over := len(e.log) - e.cfg.LogSize; over > 0 {
		e.log = append(e.log[:0], e.log[over:]...)
	}
	return entry.UniqueID
}

// Delivered records on a log entry that its notice was sent at when (err:
// every attempt failed), as Netdata records exec_run and exec_failed.
func (e *Engine) Delivered(uniqueID uint32, when time.Time, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.log {
		if e.log[i].UniqueID == uniqueID {
			e.log[i].Processed = true
			e.log[i].ExecRun = when.Unix()
			e.log[i].ExecFailed = err != nil
			if err != nil {
				e.log[i].ExecCode = 1
			}
		}
	}
}

func keyLess(a, b Key) bool {
	if a.Node != b.Node {
		return a.Node < b.Node
	}
	if a.Chart != b.Chart {
		return a.Chart < b.Chart
	}
	return a.Name < b.Name
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func ptr(v float64) *float64 { return &v }

// clusterRules are the rules over the cluster's view, which only the
// server leading the alerts election evaluates.
var clusterRules = map[string]bool{"node_down": true, "service_unavailable": true, "check_critical": true,
	"alloc_restart_loop": true, "alloc_oom_killed": true}

// IsCluster says whether k is one of the cluster's alerts (nodes,
// services, checks, allocations) rather than a node's own.
func IsCluster(k Key) bool { return clusterRules[k.Name] }

// HandOver forgets the alerts match selects without a notice: when this
// server stops leading the alerts election, its cluster alerts are not
// resolved (their conditions may well hold), the new leader owns them.
// Critical ones are logged as removed.
func (e *Engine) HandOver(now time.Time, match func(Key) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var gone []Key
	for k := range e.alarms {
		if match(k) {
			gone = append(gone, k)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return keyLess(gone[i], gone[j]) })
	for _, k := range gone {
		if a := e.alarms[k]; a.status == StatusCritical {
			e.change(a, StatusRemoved, a.f, now)
		}
		delete(e.alarms, k)
	}
}
