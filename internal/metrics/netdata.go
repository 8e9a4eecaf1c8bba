package metrics

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/orbit/orbit/internal/alert"
	"github.com/orbit/orbit/internal/httpkit"
	"github.com/orbit/orbit/internal/metrics/procfs"
	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// NetdataPrefix is where Netdata's v1 API is served.
const NetdataPrefix = "/api/v1/"

// AlarmSource answers Netdata's alarms and alarm log: the alert engine.
type AlarmSource interface {
	Alarms(host string, all bool, now time.Time) alert.Alarms
	Log(host string, after uint32) []alert.LogEntry
}

var _ AlarmSource = (*alert.Engine)(nil)

// NetdataHandler serves Netdata's v1 API under /api/v1/ (the caller
// guards it with the agent's authorizer); alarms answers /api/v1/alarms
// and alarm_log (nil: empty answers).
func (s *Server) NetdataHandler(kit *httpkit.Kit, alarms AlarmSource) http.Handler {
	mux := httpkit.NewMux()
	for path, h := range map[string]httpkit.HandlerFunc{
		"info": s.info, "charts": s.charts, "chart": s.chart, "data": s.data, "allmetrics": s.allmetrics,
		"alarms":    func(w http.ResponseWriter, r *http.Request) error { return s.alarms(w, r, alarms) },
		"alarm_log": func(w http.ResponseWriter, r *http.Request) error { return s.alarmLog(w, r, alarms) },
	} {
		mux.Handle("GET "+NetdataPrefix+path, kit.Handle(h))
	}
	return mux
}

// HostPrefix is where Netdata answers for a host by name:
// /host/NODE/api/v1/...
const HostPrefix = "/host/"

// HostHandler answers /host/NODE/api/v1/... for this node and for every
// child streaming to it (Netdata's per-host paths): the request goes to
// next with the prefix taken off and the host in its context.
func (s *Server) HostHandler(kit *httpkit.Kit, next http.Handler) http.Handler {
	return kit.Handle(func(w http.ResponseWriter, r *http.Request) error {
		host, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, HostPrefix), "/")
		ctx := r.Context()
		if host != s.cfg.Hostname && host != "localhost" {
			m := s.children.get(host)
			if m == nil {
				return httpkit.Errorf(http.StatusNotFound, "Host %q is not known to this agent: it answers for itself (%s) and the children streaming to it", host, s.cfg.Hostname)
			}
			ctx = context.WithValue(ctx, hostKey{}, m)
		}
		r2 := r.Clone(ctx)
		r2.URL.Path = "/" + rest
		r2.URL.RawPath = ""
		next.ServeHTTP(w, r2)
		return nil
	})
}

// hostKey holds, in a request's context, the child it is about.
type hostKey struct{}

// target is the host a request is about: this agent or a child.
type target struct {
	name  string
	db    *tsdb.DB
	child *mirror // nil: this agent
}

func (s *Server) target(r *http.Request) target {
	if m, ok := r.Context().Value(hostKey{}).(*mirror); ok {
		return target{name: m.name, db: m.db, child: m}
	}
	return target{name: s.cfg.Hostname, db: s.db}
}

// hosts are this agent then its children, as /api/v1/info lists them.
func (s *Server) hosts() ([]string, []map[string]any) {
	names := []string{s.cfg.Hostname}
	status := []map[string]any{{"guid": s.cfg.Hostname, "hostname": s.cfg.Hostname, "reachable": true, "hops": 0, "claim_id": nil, "node_id": nil}}
	for _, m := range s.children.list() {
		names = append(names, m.name)
		status = append(status, map[string]any{"guid": m.name, "hostname": m.name, "reachable": m.streaming(), "hops": 1,
			"claim_id": nil, "node_id": nil})
	}
	return names, status
}

// jnum is a number that encodes NaN as null, as Netdata does.
type jnum float64

func (n jnum) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(n), 'f', -1, 64), nil
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	tg := s.target(r)
	st := tg.db.Stats()
	read := func(p string) string {
		if tg.child != nil {
			return "unknown"
		}
		b, err := os.ReadFile(filepath.Join(s.cfg.Root, p))
		if err != nil {
			return "unknown"
		}
		return strings.TrimSpace(string(b))
	}
	ram := "unknown"
	if b, err := os.ReadFile(filepath.Join(s.cfg.Root, "proc/meminfo")); err == nil && tg.child == nil {
		ram = strconv.FormatUint(procfs.ParseKeyValues(b)["MemTotal"]*1024, 10)
	}
	names, status := s.hosts()
	v := map[string]any{
		"version": "v" + s.cfg.Version, "uid": tg.name, "mirrored_hosts": names, "mirrored_hosts_status": status,
		"alarms":      map[string]int{"normal": 0, "warning": 0, "critical": 0},
		"cores_total": strconv.Itoa(runtime.NumCPU()), "total_disk_space": "unknown", "cpu_freq": "unknown", "ram_total": ram,
		"is_k8s_node": "false", "kernel_name": strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:],
		"kernel_version": read("proc/sys/kernel/osrelease"), "architecture": goarchName(), "host_labels": map[string]string{},
		"functions": map[string]any{}, "collectors": collectorList(), "cloud-enabled": false, "cloud-available": false,
		"agent-claimed": false, "aclk-available": false, "memory-mode": "ram", "multidb-disk-quota": 0, "page-cache-size": 0,
		"stream-enabled": s.stream != nil, "stream-compression": streamCompression(s.stream != nil), "hosts-available": len(names), "https-enabled": false,
		"buildinfo": "orbit", "release-channel": "stable", "web-enabled": true, "notification-methods": nil,
		"exporting-enabled": false, "exporting-connectors": nil, "allmetrics-prometheus-used": nil, "allmetrics-shell-used": nil,
		"allmetrics-json-used": nil, "dashboard-used": nil, "charts-count": st.Charts, "metrics-count": st.Dims,
	}
	for _, k := range []string{"os_name", "os_id", "os_id_like", "os_version", "os_version_id", "os_detection",
		"container_os_name", "container_os_id", "container_os_id_like", "container_os_version", "container_os_version_id",
		"container_os_detection", "virtualization", "virt_detection", "container", "container_detection",
		"cloud_provider_type", "cloud_instance_type", "cloud_instance_region"} {
		v[k] = "unknown"
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, v)
}

func goarchName() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

func collectorList() []map[string]string {
	var out []map[string]string
	for _, m := range []string{"/proc/stat", "/proc/loadavg", "/proc/meminfo", "/proc/vmstat", "/proc/pressure",
		"/proc/diskstats", "/proc/net/dev", "/proc/sys/fs/file-nr", "statfs"} {
		out = append(out, map[string]string{"plugin": "proc.plugin", "module": m})
	}
	return append(out, map[string]string{"plugin": "orbit", "module": "prometheus"})
}

// chartJSON is one chart as /api/v1/charts and /api/v1/chart show it.
type chartJSON struct {
	ID             string                    `json:"id"`
	Name           string                    `json:"name"`
	Type           string                    `json:"type"`
	Family         string                    `json:"family"`
	Context        string                    `json:"context"`
	Title          string                    `json:"title"`
	Priority       int                       `json:"priority"`
	Plugin         string                    `json:"plugin"`
	Module         string                    `json:"module"`
	Units          string                    `json:"units"`
	DataURL        string                    `json:"data_url"`
	ChartType      string                    `json:"chart_type"`
	Duration       int64                     `json:"duration"`
	FirstEntry     int64                     `json:"first_entry"`
	LastEntry      int64                     `json:"last_entry"`
	UpdateEvery    int                       `json:"update_every"`
	Dimensions     map[string]map[string]any `json:"dimensions"`
	ChartVariables map[string]any            `json:"chart_variables"`
	Green          any                       `json:"green"`
	Red            any                       `json:"red"`
	Alarms         map[string]any            `json:"alarms"`
	ChartLabels    map[string]string         `json:"chart_labels"`
	Functions      map[string]any            `json:"functions"`
}

func streamCompression(on bool) any {
	if on {
		return "deflate"
	}
	return nil
}

func (s *Server) chartJSON(in tsdb.Info) chartJSON {
	c := chartJSON{ID: in.ID, Name: in.ID, Type: in.Type(), Family: in.Family, Context: in.Context,
		Title: fmt.Sprintf("%s (%s)", in.Title, in.ID), Priority: in.Priority, Plugin: "orbit", Module: in.Type(),
		Units: in.Units, DataURL: "/api/v1/data?chart=" + in.ID, ChartType: in.ChartType,
		FirstEntry: in.First, LastEntry: in.Last, UpdateEvery: int(s.cfg.Interval.Seconds()),
		Dimensions: map[string]map[string]any{}, ChartVariables: map[string]any{}, Alarms: map[string]any{},
		ChartLabels: map[string]string{"_collect_plugin": "orbit"}, Functions: map[string]any{}}
	if c.UpdateEvery < 1 {
		c.UpdateEvery = 1
	}
	if in.Last > 0 {
		c.Duration = in.Last - in.First + 1
	}
	for _, d := range in.Dims {
		if !d.Hidden {
			c.Dimensions[d.ID] = map[string]any{"name": d.Name}
		}
	}
	for k, v := range in.Labels {
		c.ChartLabels[k] = v
	}
	return c
}

func (s *Server) charts(w http.ResponseWriter, r *http.Request) error {
	tg := s.target(r)
	infos := tg.db.Charts()
	charts := make(map[string]chartJSON, len(infos))
	dims := 0
	for _, in := range infos {
		charts[in.ID] = s.chartJSON(in)
		dims += len(in.Dims)
	}
	st := tg.db.Stats()
	names, _ := s.hosts()
	hosts := make([]map[string]string, len(names))
	for i, n := range names {
		hosts[i] = map[string]string{"hostname": n}
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, map[string]any{
		"hostname": tg.name, "version": "v" + s.cfg.Version, "release_channel": "stable", "os": runtime.GOOS,
		"timezone": "UTC", "update_every": 1, "history": int(s.cfg.Storage.Seconds.Seconds()), "memory_mode": "ram",
		"custom_info": "", "charts": charts, "charts_count": len(charts), "dimensions_count": dims, "alarms_count": 0,
		"rrd_memory_bytes": st.Bytes, "hosts_count": len(hosts), "hosts": hosts,
	})
}

func (s *Server) chart(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("chart")
	if id == "" {
		return httpkit.BadRequest("No chart id is given at the request.")
	}
	in, err := s.target(r).db.ChartInfo(id)
	if err != nil {
		return httpkit.Errorf(http.StatusNotFound, "Chart is not found: %s", id)
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, s.chartJSON(in))
}

// alarms answers the node's alerts, critical ones only unless ?all.
func (s *Server) alarms(w http.ResponseWriter, r *http.Request, src AlarmSource) error {
	now := s.clock.Now()
	if tg := s.target(r); src == nil || tg.child != nil {
		// A child's alerts are raised on the child.
		return httpkit.WriteJSON(w, r, http.StatusOK, alert.Alarms{Hostname: tg.name, Status: true,
			Now: now.Unix(), Alarms: map[string]alert.Alarm{}})
	}
	_, all := r.URL.Query()["all"]
	return httpkit.WriteJSON(w, r, http.StatusOK, src.Alarms(s.cfg.Hostname, all, now))
}

// alarmLog answers the alert log newest first, entries after ?after=ID.
func (s *Server) alarmLog(w http.ResponseWriter, r *http.Request, src AlarmSource) error {
	var after uint64
	if v := r.URL.Query().Get("after"); v != "" {
		var err error
		if after, err = strconv.ParseUint(v, 10, 32); err != nil {
			return httpkit.BadRequest("after %q: want an alarm log unique id", v)
		}
	}
	if src == nil || s.target(r).child != nil {
		return httpkit.WriteJSON(w, r, http.StatusOK, []alert.LogEntry{})
	}
	return httpkit.WriteJSON(w, r, http.StatusOK, src.Log(s.cfg.Hostname, uint32(after)))
}

// allmetrics answers every chart's latest values as Prometheus text,
// JSON or shell variables.
func (s *Server) allmetrics(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	prefix := r.URL.Query().Get("prefix")
	if prefix == "" {
		prefix = "netdata"
	}
	var b bytes.Buffer
	jsonOut := map[string]any{}
	now := s.clock.Now()
	tg := s.target(r)
	switch format {
	case "prometheus", "prometheus_all_hosts":
		fmt.Fprintf(&b, "%s_info{instance=%q,application=\"orbit\",version=\"v%s\"} 1 %d\n", prefix, tg.name, s.cfg.Version, now.UnixMilli())
	case "json", "shell":
	default:
		return httpkit.BadRequest("format %q: want prometheus, json or shell", format)
	}
	for _, in := range tg.db.Charts() {
		_, vals, err := tg.db.Latest(in.ID)
		if err != nil {
			continue
		}
		switch format {
		case "json":
			dims := map[string]any{}
			for i, d := range in.Dims {
				dims[d.ID] = map[string]any{"name": d.Name, "value": jnum(vals[i])}
			}
			jsonOut[in.ID] = map[string]any{"name": in.ID, "family": in.Family, "context": in.Context,
				"units": in.Units, "last_updated": in.Last, "dimensions": dims}
		case "shell":
			fmt.Fprintf(&b, "\n# chart: %s (name: %s)\n", in.ID, in.ID)
			total := 0.0
			for i, d := range in.Dims {
				v := vals[i]
				if math.IsNaN(v) {
					v = 0
				}
				if !d.Hidden {
					total += v
				}
				fmt.Fprintf(&b, "NETDATA_%s_%s=\"%.0f\"      # %s\n", shellName(in.ID), shellName(d.Name), math.Round(v), in.Units)
			}
			fmt.Fprintf(&b, "NETDATA_%s_VISIBLETOTAL=\"%.0f\"      # %s\n", shellName(in.ID), math.Round(total), in.Units)
		default:
			name := prefix + "_" + promName(in.ID) + "_" + promName(strings.ReplaceAll(in.Units, "/s", "_persec")) + "_average"
			for i, d := range in.Dims {
				if math.IsNaN(vals[i]) {
					continue
				}
				fmt.Fprintf(&b, "%s{chart=%q,family=%q,dimension=%q} %s %d\n", name, in.ID, in.Family, d.Name,
					strconv.FormatFloat(vals[i], 'f', 7, 64), in.Last*1000)
			}
		}
	}
	if format == "json" {
		return httpkit.WriteJSON(w, r, http.StatusOK, jsonOut)
	}
	if strings.HasPrefix(format, "prometheus") {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	_, err := w.Write(b.Bytes())
	return err
}

// promName lowercases and turns what Prometheus names cannot hold into _.
func promName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return unicode.ToLower(r)
		}
		return '_'
	}, s)
}

// shellName upper-cases and turns what a shell variable cannot hold into _.
func shellName(s string) string { return strings.ToUpper(promName(s)) }
