package ui

import (
	"cmp"
	"slices"
	"strings"
)

type alarmLog struct {
	Name, Chart, Status, OldStatus, Info string `json:",omitempty"`
	When                                 int64  `json:"when"`
	UniqueID                             uint64 `json:"unique_id"`
}

type monitoringData struct {
	Alerts  []alertRow
	Log     []alarmLog
	Note    string
	Charts  []chartRef
	Anomaly []chartRef
	Nodes   []string
	Host    string
}

type chartRef struct{ ID, Title string }

// monitoring shows the node's per-second charts, its anomaly rates and its
// alerts with their log; ?node=NAME shows another node's through /host/.
func (s *Server) monitoring(rc *reqCtx) (any, error) {
	d := &monitoringData{}
	node := rc.q.Get("node")
	if node != "" && node != s.deps.Node {
		d.Host = "/host/" + node
	}
	if rc.arg(0) == "settings" {
		return s.alertSettings(rc, d.Host)
	}
	var alarms struct {
		Alarms map[string]alertRow `json:"alarms"`
	}
	if err := rc.get(d.Host+"/api/v1/alarms?all", &alarms); err != nil {
		d.Note = "alerts: " + errNote(err)
	}
	for _, a := range alarms.Alarms {
		d.Alerts = append(d.Alerts, a)
	}
	slices.SortFunc(d.Alerts, func(a, b alertRow) int { return strings.Compare(a.Name, b.Name) })
	_ = rc.get(d.Host+"/api/v1/alarm_log", &d.Log)
	if len(d.Log) > 50 {
		d.Log = d.Log[:50]
	}
	var charts struct {
		Charts map[string]struct {
			Title, Family string
		} `json:"charts"`
	}
	if err := rc.get(d.Host+"/api/v1/charts", &charts); err != nil && d.Note == "" {
		d.Note = "charts: " + errNote(err)
	}
	for id, c := range charts.Charts {
		switch {
		case strings.HasPrefix(id, "anomaly"):
			d.Anomaly = append(d.Anomaly, chartRef{ID: id, Title: c.Title})
		case strings.HasPrefix(id, "system."):
			d.Charts = append(d.Charts, chartRef{ID: id, Title: c.Title})
		}
	}
	byID := func(a, b chartRef) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(d.Charts, byID)
	slices.SortFunc(d.Anomaly, byID)
	for _, n := range s.deps.View.Nodes() {
		d.Nodes = append(d.Nodes, n.Name)
	}
	return d, nil
}

// alertSetting is how one alert is evaluated and notified, as Netdata's
// /api/v1/alarms?all describes it.
type alertSetting struct {
	Name, Chart, Info, Units, Status string
	Source, Exec, Recipient          string
	UpdateEvery                      int      `json:"update_every"`
	DelayUp                          int      `json:"delay_up_duration"`
	DelayDown                        int      `json:"delay_down_duration"`
	WarnRepeat                       string   `json:"warn_repeat_every"`
	CritRepeat                       string   `json:"crit_repeat_every"`
	Green, Red                       *float64 `json:",omitempty"`
	Disabled, Silenced               bool
}

type alertSettingsData struct {
	Settings []alertSetting
	Note     string
	Host     string
}

func (*alertSettingsData) tplName() string { return "alertsettings" }

// alertSettings shows every alert's evaluation and notification settings.
// They come from the agent config's alerts block; the API has no way to
// change them, so this page only shows them.
func (s *Server) alertSettings(rc *reqCtx, host string) (any, error) {
	d := &alertSettingsData{Host: host}
	var alarms struct {
		Alarms map[string]alertSetting `json:"alarms"`
	}
	if err := rc.get(host+"/api/v1/alarms?all", &alarms); err != nil {
		d.Note = "alerts: " + errNote(err)
	}
	for _, a := range alarms.Alarms {
		d.Settings = append(d.Settings, a)
	}
	slices.SortFunc(d.Settings, func(a, b alertSetting) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.Chart, b.Chart))
	})
	return d, nil
}
