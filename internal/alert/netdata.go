package alert

import (
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
)

// source is the rule's origin as Netdata's "source" names a health file.
const source = "orbit built-in critical alerts"

// Alarms is Netdata's /api/v1/alarms answer.
type Alarms struct {
	Hostname               string           `json:"hostname"`
	LatestAlarmLogUniqueID uint32           `json:"latest_alarm_log_unique_id"`
	Status                 bool             `json:"status"`
	Now                    int64            `json:"now"`
	Alarms                 map[string]Alarm `json:"alarms"`
}

// Alarm is one alert in Alarms, keyed there by "chart.name".
type Alarm struct {
	ID                 uint32   `json:"id"`
	ConfigHashID       string   `json:"config_hash_id"`
	Name               string   `json:"name"`
	Chart              string   `json:"chart"`
	Family             string   `json:"family"`
	Class              string   `json:"class"`
	Component          string   `json:"component"`
	Type               string   `json:"type"`
	Active             bool     `json:"active"`
	Disabled           bool     `json:"disabled"`
	Silenced           bool     `json:"silenced"`
	Exec               string   `json:"exec"`
	Recipient          string   `json:"recipient"`
	Source             string   `json:"source"`
	Units              string   `json:"units"`
	Info               string   `json:"info"`
	Status             string   `json:"status"`
	LastStatusChange   int64    `json:"last_status_change"`
	LastUpdated        int64    `json:"last_updated"`
	NextUpdate         int64    `json:"next_update"`
	UpdateEvery        int      `json:"update_every"`
	DelayUpDuration    int      `json:"delay_up_duration"`
	DelayDownDuration  int      `json:"delay_down_duration"`
	DelayMaxDuration   int      `json:"delay_max_duration"`
	DelayMultiplier    float64  `json:"delay_multiplier"`
	Delay              int      `json:"delay"`
	DelayUpToTimestamp int64    `json:"delay_up_to_timestamp"`
	WarnRepeatEvery    string   `json:"warn_repeat_every"`
	CritRepeatEvery    string   `json:"crit_repeat_every"`
	ValueString        string   `json:"value_string"`
	LastRepeat         string   `json:"last_repeat"`
	TimesRepeat        int      `json:"times_repeat"`
	Green              *float64 `json:"green"`
	Red                *float64 `json:"red"`
	Value              *float64 `json:"value"`
}

// LogEntry is one status change in Netdata's /api/v1/alarm_log answer.
type LogEntry struct {
	node string // the node the alert is about ("": the cluster's)

	Hostname           string   `json:"hostname"`
	UTCOffset          int      `json:"utc_offset"`
	Timezone           string   `json:"timezone"`
	UniqueID           uint32   `json:"unique_id"`
	AlarmID            uint32   `json:"alarm_id"`
	AlarmEventID       uint32   `json:"alarm_event_id"`
	ConfigHashID       string   `json:"config_hash_id"`
	Name               string   `json:"name"`
	Chart              string   `json:"chart"`
	Context            string   `json:"context"`
	Family             string   `json:"family"`
	Class              string   `json:"class"`
	Component          string   `json:"component"`
	Type               string   `json:"type"`
	Processed          bool     `json:"processed"`
	Updated            bool     `json:"updated"`
	ExecRun            int64    `json:"exec_run"`
	ExecFailed         bool     `json:"exec_failed"`
	Exec               string   `json:"exec"`
	Recipient          string   `json:"recipient"`
	ExecCode           int      `json:"exec_code"`
	Source             string   `json:"source"`
	Command            string   `json:"command"`
	Units              string   `json:"units"`
	When               int64    `json:"when"`
	Duration           int64    `json:"duration"`
	NonClearDuration   int64    `json:"non_clear_duration"`
	Status             string   `json:"status"`
	OldStatus          string   `json:"old_status"`
	Delay              int      `json:"delay"`
	DelayUpToTimestamp int64    `json:"delay_up_to_timestamp"`
	UpdatedByID        uint32   `json:"updated_by_id"`
	UpdatesID          uint32   `json:"updates_id"`
	ValueString        string   `json:"value_string"`
	OldValueString     string   `json:"old_value_string"`
	LastRepeat         string   `json:"last_repeat"`
	Silenced           string   `json:"silenced"`
	Info               string   `json:"info"`
	Value              *float64 `json:"value"`
	OldValue           *float64 `json:"old_value"`
}

// Alarms answers /api/v1/alarms for host: the alerts about that node and
// the cluster's; only CRITICAL ones unless all (Netdata's ?all).
func (e *Engine) Alarms(host string, all bool, now time.Time) Alarms {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := Alarms{Hostname: host, LatestAlarmLogUniqueID: e.nextEntry, Status: true, Now: now.Unix(), Alarms: map[string]Alarm{}}
	every := int(e.cfg.updateEvery() / time.Second)
	for k, a := range e.alarms {
		if (k.Node != host && k.Node != "") || (!all && a.status != StatusCritical) {
			continue
		}
		out.Alarms[k.ID()] = Alarm{
			ID: a.id, ConfigHashID: configHash(k.Name), Name: k.Name, Chart: k.Chart,
			Family: a.f.Family, Class: a.f.Class, Component: a.f.Component, Type: a.f.Type,
			Active: true, Exec: "webhook", Recipient: "webhook", Source: source,
			Units: a.f.Units, Info: a.f.Info, Status: string(a.status),
			LastStatusChange: a.lastStatusChange.Unix(), LastUpdated: a.lastUpdated.Unix(),
			NextUpdate: a.lastUpdated.Unix() + int64(every), UpdateEvery: every,
			DelayUpDuration: int(a.f.For / time.Second), DelayMultiplier: 1,
			WarnRepeatEvery: "0", CritRepeatEvery: fmt.Sprint(int64(max(e.cfg.RepeatEvery, 0) / time.Second)),
			ValueString: valueString(a.f.Value, a.f.Units), LastRepeat: fmt.Sprint(unix(a.lastRepeat)),
			TimesRepeat: a.timesRepeat, Value: ptr(a.f.Value),
		}
	}
	return out
}

// Log answers /api/v1/alarm_log?after=AFTER for host: its entries and the
// cluster's with a unique id above after, newest first.
func (e *Engine) Log(host string, after uint32) []LogEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []LogEntry{}
	for i := len(e.log) - 1; i >= 0; i-- {
		l := e.log[i]
		if l.UniqueID <= after || (l.node != host && l.node != "") {
			continue
		}
		l.Hostname = host
		l.Timezone = "UTC"
		out = append(out, l)
	}
	return out
}

// configHash stands for Netdata's hash of an alert's configuration: one
// stable UUID per rule.
func configHash(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte("orbit/alert/"+name)).String()
}

// valueString formats a value with its units as Netdata shows it.
func valueString(v float64, units string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case units == "%":
		return fmt.Sprintf("%.1f%%", v)
	case units == "seconds":
		return (time.Duration(v) * time.Second).Round(time.Second).String()
	}
	return fmt.Sprintf("%g %s", v, units)
}

// updateEvery is how often the agent evaluates (shown as update_every).
func (c Config) updateEvery() time.Duration {
	if c.Every > 0 {
		return c.Every
	}
	return DefaultEvery
}
