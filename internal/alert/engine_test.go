package alert

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// step is one evaluation: at t (seconds after the start) the finding is
// critical or not, or absent; want lists the notices it must produce.
type step struct {
	t      int
	state  string // "crit", "ok" or "gone"
	want   []Kind
	status Status // the alert's status after the step ("" : gone)
}

func TestStateMachine(t *testing.T) {
	none := []Kind(nil)
	crit, rep, res := []Kind{KindCritical}, []Kind{KindRepeat}, []Kind{KindResolved}
	for _, tc := range []struct {
		name   string
		for_   time.Duration
		repeat time.Duration
		steps  []step
	}{
		{"clear stays quiet", 0, time.Hour, []step{{0, "ok", none, StatusClear}, {10, "ok", none, StatusClear}}},
		{"fires once at once", 0, time.Hour, []step{
			{0, "ok", none, StatusClear}, {10, "crit", crit, StatusCritical}, {20, "crit", none, StatusCritical}, {30, "crit", none, StatusCritical}}},
		{"first evaluation critical fires", 0, time.Hour, []step{{0, "crit", crit, StatusCritical}}},
		{"repeats every interval while critical", 0, time.Minute, []step{
			{0, "crit", crit, StatusCritical}, {59, "crit", none, StatusCritical}, {60, "crit", rep, StatusCritical},
			{90, "crit", none, StatusCritical}, {120, "crit", rep, StatusCritical}, {130, "ok", res, StatusClear}}},
		{"never repeats when the interval is negative", 0, -1, []step{
			{0, "crit", crit, StatusCritical}, {100000, "crit", none, StatusCritical}}},
		{"resolves once", 0, time.Hour, []step{
			{0, "crit", crit, StatusCritical}, {10, "ok", res, StatusClear}, {20, "ok", none, StatusClear}}},
		{"fires again after resolving", 0, time.Hour, []step{
			{0, "crit", crit, StatusCritical}, {10, "ok", res, StatusClear}, {20, "crit", crit, StatusCritical}}},
		{"waits its For", 5 * time.Minute, time.Hour, []step{
			{0, "crit", none, StatusClear}, {299, "crit", none, StatusClear}, {300, "crit", crit, StatusCritical},
			{310, "crit", none, StatusCritical}, {320, "ok", res, StatusClear}}},
		{"clearing before its For is never notified", 5 * time.Minute, time.Hour, []step{
			{0, "crit", none, StatusClear}, {200, "ok", none, StatusClear}, {250, "crit", none, StatusClear},
			{500, "crit", none, StatusClear}, {550, "crit", crit, StatusCritical}}},
		{"gone while critical resolves", 0, time.Hour, []step{
			{0, "crit", crit, StatusCritical}, {10, "gone", res, ""}, {20, "gone", none, ""}}},
		{"gone while clear or pending is silent", 5 * time.Minute, time.Hour, []step{
			{0, "ok", none, StatusClear}, {10, "gone", none, ""}, {20, "crit", none, StatusClear}, {30, "gone", none, ""}}},
		{"back after gone starts anew", 0, time.Hour, []step{
			{0, "crit", crit, StatusCritical}, {10, "gone", res, ""}, {20, "crit", crit, StatusCritical}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{RepeatEvery: tc.repeat})
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Unix(1_800_000_000, 0)
			key := Key{"n1", "orbit.node", "node_down"}
			for _, s := range tc.steps {
				var fs []Finding
				if s.state != "gone" {
					fs = []Finding{{Key: key, Critical: s.state == "crit", For: tc.for_, Units: "status"}}
				}
				evs := e.Apply(t0.Add(time.Duration(s.t)*time.Second), fs)
				var kinds []Kind
				for _, ev := range evs {
					kinds = append(kinds, ev.Kind)
					if ev.Key != key {
						t.Errorf("t=%d: event for %v", s.t, ev.Key)
					}
				}
				if !slices.Equal(kinds, s.want) {
					t.Fatalf("t=%d %s: notices %v, want %v", s.t, s.state, kinds, s.want)
				}
				got := Status("")
				if a, ok := e.Alarms("n1", true, t0).Alarms[key.ID()]; ok {
					got = Status(a.Status)
				}
				if got != s.status {
					t.Fatalf("t=%d %s: status %q, want %q", s.t, s.state, got, s.status)
				}
			}
		})
	}
}

func TestEventsCarryTheirStory(t *testing.T) {
	e, _ := New(Config{RepeatEvery: time.Minute})
	t0 := time.Unix(1_800_000_000, 0)
	k := Key{"", "orbit.service_web", "service_unavailable"}
	f := func(c bool, v float64) []Finding {
		return []Finding{{Key: k, Critical: c, Value: v, Units: "instances", Summary: "s"}}
	}
	fire := e.Apply(t0, f(true, 0))
	rep := e.Apply(t0.Add(time.Minute), f(true, 0))
	res := e.Apply(t0.Add(90*time.Second), f(false, 2))
	if fire[0].UniqueID != 1 || !fire[0].Since.Equal(t0) || !fire[0].When.Equal(t0) {
		t.Errorf("critical notice %+v", fire[0])
	}
	if rep[0].UniqueID != 0 || !rep[0].Since.Equal(t0) {
		t.Errorf("repeat notice %+v: want no log entry, since the firing", rep[0])
	}
	if res[0].UniqueID != 2 || !res[0].Since.Equal(t0) || res[0].Value != 2 {
		t.Errorf("resolved notice %+v: want entry 2, since the firing, the new value", res[0])
	}
}

func TestLogAndAlarmsShapes(t *testing.T) {
	e, _ := New(Config{})
	t0 := time.Unix(1_800_000_000, 0)
	a := Key{"n1", "disk_space._", "disk_space_usage"}
	b := Key{"n2", "disk_space._", "disk_space_usage"}
	c := Key{"", "orbit.service_db", "service_unavailable"}
	e.Apply(t0, []Finding{{Key: a, Value: 50, Units: "%"}, {Key: b, Critical: true, Value: 95, Units: "%"}, {Key: c, Critical: true, Units: "instances"}})
	e.Apply(t0.Add(30*time.Second), []Finding{{Key: a, Critical: true, Value: 91, Units: "%"}, {Key: b, Critical: true, Value: 96, Units: "%"}, {Key: c, Units: "instances", Value: 1}})
	e.Delivered(3, t0.Add(31*time.Second), nil)
	e.Delivered(4, t0.Add(32*time.Second), errors.New("refused"))

	// /api/v1/alarms: n1 sees its own and the cluster's; only critical unless all.
	crit := e.Alarms("n1", false, t0.Add(40*time.Second))
	if crit.LatestAlarmLogUniqueID != 4 || !crit.Status || crit.Now != t0.Unix()+40 || len(crit.Alarms) != 1 {
		t.Fatalf("alarms(n1) = %+v", crit)
	}
	d := crit.Alarms["disk_space._.disk_space_usage"]
	if d.Status != "CRITICAL" || d.ValueString != "91.0%" || d.LastStatusChange != t0.Unix()+30 || d.ID != 1 || d.UpdateEvery != 10 || d.CritRepeatEvery != "3600" {
		t.Errorf("n1's disk alarm %+v", d)
	}
	if all := e.Alarms("n1", true, t0); len(all.Alarms) != 2 {
		t.Errorf("alarms(n1, all) has %d alarms, want its disk and the service", len(all.Alarms))
	}

	// /api/v1/alarm_log: newest first, after filters, chained updates.
	log := e.Log("n1", 0)
	var ids []uint32
	for _, l := range log {
		ids = append(ids, l.UniqueID)
	}
	// entries: 1 n2 disk CRITICAL, 2 service CRITICAL, 3 n1 disk CRITICAL, 4 service CLEAR
	if !slices.Equal(ids, []uint32{4, 3, 2}) {
		t.Fatalf("log(n1) ids %v, want [4 3 2]", ids)
	}
	if got := e.Log("n1", 3); len(got) != 1 || got[0].UniqueID != 4 {
		t.Errorf("log(n1, after 3) = %+v", got)
	}
	svcClear, svcCrit := log[0], log[2]
	if svcClear.Status != "CLEAR" || svcClear.OldStatus != "CRITICAL" || svcClear.Duration != 30 || svcClear.NonClearDuration != 30 ||
		svcClear.UpdatesID != 2 || svcCrit.UpdatedByID != 4 || !svcCrit.Updated || svcClear.AlarmEventID != 2 || svcClear.AlarmID != svcCrit.AlarmID {
		t.Errorf("service log entries: %+v / %+v", svcClear, svcCrit)
	}
	if !svcClear.ExecFailed || !svcClear.Processed || svcClear.ExecRun != t0.Unix()+32 || log[1].ExecFailed || !log[1].Processed {
		t.Errorf("delivery not recorded: %+v / %+v", svcClear, log[1])
	}
	if *svcClear.Value != 1 || *svcClear.OldValue != 0 || svcCrit.OldValue != nil || svcClear.Hostname != "n1" {
		t.Errorf("values %v/%v, first old value %v, hostname %q", *svcClear.Value, *svcClear.OldValue, svcCrit.OldValue, svcClear.Hostname)
	}
}

func TestLogIsBounded(t *testing.T) {
	e, _ := New(Config{LogSize: 3})
	t0 := time.Unix(0, 0)
	k := Key{"", "c", "n"}
	for i := range 10 {
		e.Apply(t0.Add(time.Duration(i)*time.Second), []Finding{{Key: k, Critical: i%2 == 0}})
	}
	log := e.Log("", 0)
	if len(log) != 3 || log[0].UniqueID != 10 || log[2].UniqueID != 8 {
		t.Errorf("bounded log %+v", log)
	}
}

// Netdata 1.37's keys (health/health_json.c), in its order.
var (
	netdataAlarmsKeys = []string{"hostname", "latest_alarm_log_unique_id", "status", "now", "alarms"}
	netdataAlarmKeys  = []string{"id", "config_hash_id", "name", "chart", "family", "class", "component", "type", "active", "disabled",
		"silenced", "exec", "recipient", "source", "units", "info", "status", "last_status_change", "last_updated", "next_update",
		"update_every", "delay_up_duration", "delay_down_duration", "delay_max_duration", "delay_multiplier", "delay",
		"delay_up_to_timestamp", "warn_repeat_every", "crit_repeat_every", "value_string", "last_repeat", "times_repeat",
		"green", "red", "value"}
	netdataLogKeys = []string{"hostname", "utc_offset", "timezone", "unique_id", "alarm_id", "alarm_event_id", "config_hash_id",
		"name", "chart", "context", "family", "class", "component", "type", "processed", "updated", "exec_run", "exec_failed",
		"exec", "recipient", "exec_code", "source", "command", "units", "when", "duration", "non_clear_duration", "status",
		"old_status", "delay", "delay_up_to_timestamp", "updated_by_id", "updates_id", "value_string", "old_value_string",
		"last_repeat", "silenced", "info", "value", "old_value"}
)

func TestNetdataKeys(t *testing.T) {
	e, _ := New(Config{})
	e.Apply(time.Unix(0, 0), []Finding{{Key: Key{"", "c", "n"}, Critical: true}})
	for _, tc := range []struct {
		name string
		v    any
		want []string
	}{
		{"alarms", e.Alarms("h", true, time.Unix(0, 0)), netdataAlarmsKeys},
		{"alarm", e.Alarms("h", true, time.Unix(0, 0)).Alarms["c.n"], netdataAlarmKeys},
		{"alarm_log entry", e.Log("h", 0)[0], netdataLogKeys},
	} {
		b, _ := json.Marshal(tc.v)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		want := slices.Clone(tc.want)
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys:\n got %s\nwant %s", tc.name, strings.Join(got, " "), strings.Join(want, " "))
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, ""},
		{Config{DiskUsedPercent: 120}, "alert disk used percent 120"},
		{Config{CheckCriticalFor: -time.Second}, "alert check critical for -1s"},
		{Config{RestartLoopCount: -1}, "alert restart loop count -1"},
		{Config{LogSize: -5}, "alert log size -5"},
	} {
		_, err := New(tc.cfg)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("New(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// Every zero setting gets its default: the agent's evaluation loop waits
// Every between passes, so a zero there would spin on a core.
func TestWithDefaultsFillsEveryDuration(t *testing.T) {
	c := Config{}.WithDefaults()
	for name, got := range map[string]time.Duration{
		"Every": c.Every, "RepeatEvery": c.RepeatEvery, "CheckCriticalFor": c.CheckCriticalFor,
		"RestartLoopWindow": c.RestartLoopWindow, "OOMWindow": c.OOMWindow,
		"CertificateWithin": c.CertificateWithin, "AnomalyFor": c.AnomalyFor,
	} {
		if got <= 0 {
			t.Errorf("Config{}.WithDefaults().%s = %v, want a positive default", name, got)
		}
	}
	if c.Every != DefaultEvery {
		t.Errorf("Every = %v, want %v", c.Every, DefaultEvery)
	}
}

// TestHandOverSendsNoResolved: a server that stops leading forgets its
// critical cluster alerts without a resolved notice (the condition still
// holds; the new leader owns it), keeps its node's own alerts, and logs
// the hand-over as removed.
func TestHandOverSendsNoResolved(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_800_000_000, 0)
	down := Finding{Key: Key{"n2", "orbit.node", "node_down"}, Critical: true}
	disk := Finding{Key: Key{"n1", "disk_space._", "disk_space_usage"}, Critical: true}
	if evs := e.Apply(t0, []Finding{down, disk}); len(evs) != 2 {
		t.Fatalf("%d notices, want 2 criticals", len(evs))
	}
	e.HandOver(t0.Add(time.Second), IsCluster)
	// The next evaluation, as a follower, has no cluster findings.
	if evs := e.Apply(t0.Add(2*time.Second), []Finding{disk}); len(evs) != 0 {
		t.Fatalf("after the hand-over: %+v, want no notice", evs)
	}
	if IsCluster(disk.Key) || !IsCluster(down.Key) {
		t.Error("IsCluster")
	}
	log := e.Log("n2", 0)
	if len(log) == 0 || log[0].Status != string(StatusRemoved) {
		t.Errorf("log of n2 %+v, want the hand-over logged as removed first", log)
	}
}
