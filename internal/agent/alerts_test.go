package agent

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/alert"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/metrics/tsdb"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/store"
	"github.com/orbit/orbit/internal/webhook"
)

// TestAlertDeliveredAndResolved: a real dev agent notices a service whose
// only instance fails its check, POSTs the critical notice to a local
// webhook, and POSTs the resolved notice once the check passes; both are
// in its alert log, delivered.
func TestAlertDeliveredAndResolved(t *testing.T) {
	got := make(chan webhook.Message, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m webhook.Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got <- m
	}))
	defer recv.Close()

	a := startAgent(t, &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0", DNSAddr: "off",
		LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"},
		Alerts: &AlertsConfig{Every: "100ms", Webhooks: []webhook.Hook{{Name: "test", URL: recv.URL}}}})
	c, err := consul.NewClient(&consul.Config{Address: a.HTTPAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	// A TTL check starts critical: the service has no passing instance.
	if err := c.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "web-1", Name: "web", Port: 8080,
		Check: &consul.AgentServiceCheck{CheckID: "web-ttl", TTL: "10m"}}); err != nil {
		t.Fatal(err)
	}
	wait := func(kind alert.Kind) webhook.Message {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for {
			select {
			case m := <-got:
				if m.Alert == "service_unavailable" && m.Chart == "orbit.service_web" && m.Kind == kind {
					return m
				}
				t.Logf("other notice: %+v", m)
			case <-timeout:
				t.Fatalf("no %s notice for service web in 30s", kind)
			}
		}
	}
	crit := wait(alert.KindCritical)
	if crit.Status != "CRITICAL" || crit.Host != "dc1" || !strings.Contains(crit.Summary, "service web has no passing instance") {
		t.Errorf("critical notice %+v", crit)
	}

	if err := c.Agent().UpdateTTL("web-ttl", "ok", consul.HealthPassing); err != nil {
		t.Fatal(err)
	}
	res := wait(alert.KindResolved)
	if res.Status != "CLEAR" || res.Value != 1 || res.UniqueID <= crit.UniqueID {
		t.Errorf("resolved notice %+v after %+v", res, crit)
	}

	var entries []alert.LogEntry
	for _, l := range a.Alerts().Log("node1", 0) {
		if l.Chart == "orbit.service_web" {
			entries = append(entries, l)
		}
	}
	if len(entries) != 2 || entries[0].Status != "CLEAR" || entries[1].Status != "CRITICAL" || !entries[1].Processed || entries[1].ExecFailed {
		t.Errorf("alert log for web: %+v", entries)
	}
}

func TestAlertsConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  *AlertsConfig
		want string
	}{
		{nil, ""},
		{&AlertsConfig{Every: "soon"}, `alerts every "soon": want a positive duration`},
		{&AlertsConfig{RepeatEvery: "-1h"}, `alerts repeat_every "-1h"`},
		{&AlertsConfig{Webhooks: []webhook.Hook{{Name: "x", URL: "slack.com"}}}, `alerts: webhook "x": url "slack.com"`},
		{&AlertsConfig{Webhooks: []webhook.Hook{{Name: "x", URL: "http://h", Format: "teams"}}}, `format "teams"`},
	} {
		_, err := tc.cfg.alertConfig()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("alertConfig(%+v) = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestAlertsBlockFromHCL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.hcl")
	src := `alerts {
  every        = "30s"
  repeat_every = "2h"
  webhook "ops" {
    url    = "https://ntfy.sh/orbit-alerts"
    format = "ntfy"
  }
  webhook "chat" {
    url = "https://chat.example/hooks/x"
    format = "slack"
  }
}
`
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := LoadFile(path, &cfg); err != nil {
		t.Fatal(err)
	}
	ac, err := cfg.Alerts.alertConfig()
	if err != nil {
		t.Fatal(err)
	}
	hooks := cfg.Alerts.Webhooks
	if len(hooks) != 2 || hooks[0] != (webhook.Hook{Name: "ops", URL: "https://ntfy.sh/orbit-alerts", Format: "ntfy"}) ||
		hooks[1].Name != "chat" || ac.Every != 30*time.Second || ac.RepeatEvery != 2*time.Hour || ac.CheckCriticalFor != 5*time.Minute {
		t.Errorf("decoded %+v, %+v", hooks, ac)
	}
}

// The node's alerts read its own metrics as the collector stores them:
// disk space in GiB (used of avail+used), inodes, memory available of the
// RAM chart's total, PSI full avg60, the anomaly rate.
func TestNodeAlertInput(t *testing.T) {
	db, err := tsdb.New(tsdb.Config{})
	if err != nil {
		t.Fatal(err)
	}
	chart := func(id, family string, divisor int64, dims ...string) {
		c := tsdb.Chart{ID: id, Family: family, Context: id, Units: "u"}
		for _, d := range dims {
			c.Dims = append(c.Dims, tsdb.Dim{ID: d, Enc: tsdb.Gauge, Divisor: divisor})
		}
		if err := db.Define(c); err != nil {
			t.Fatal(err)
		}
	}
	put := func(id string, v ...float64) {
		if err := db.Append(id, 1000, v, nil); err != nil {
			t.Fatal(err)
		}
	}
	chart("disk_space._", "/", 1<<30, "avail", "used", "reserved_for_root")
	put("disk_space._", 5<<30, 95<<30, 3<<30) // 95 % used
	chart("disk_inodes._", "/", 1, "avail", "used", "reserved_for_root")
	put("disk_inodes._", 800, 200, 0)
	chart("disk_space._data", "/data", 1<<30, "avail", "used", "reserved_for_root")
	put("disk_space._data", 50<<30, 50<<30, 0)
	chart("mem.available", "system", 1024, "MemAvailable")
	put("mem.available", 3*1024) // 3 MiB of 100
	chart("system.ram", "ram", 1024, "free", "used", "cached", "buffers")
	put("system.ram", 1*1024, 90*1024, 8*1024, 1*1024)
	chart("system.memory_full_pressure", "ram", 100, "full 10", "full 60", "full 300")
	put("system.memory_full_pressure", 2000, 1200, 300) // avg60 12 %
	chart("anomaly_detection.anomaly_rate", "anomaly_rate", 10000, "anomaly_rate")
	put("anomaly_detection.anomaly_rate", 25*10000) // 25 %

	in := nodeAlertInput("n1", db)
	crit := map[string]bool{}
	for _, f := range alert.Rules(alert.Config{}.WithDefaults(), in, time.Unix(1000, 0)) {
		crit[f.Key.Node+" "+f.Key.ID()] = f.Critical
	}
	want := map[string]bool{
		"n1 disk_space._.disk_space_usage":                    true,
		"n1 disk_inodes._.disk_inode_usage":                   false,
		"n1 disk_space._data.disk_space_usage":                false,
		"n1 mem.available.ram_available":                      true,
		"n1 system.memory_full_pressure.memory_pressure":      true,
		"n1 anomaly_detection.anomaly_rate.node_anomaly_rate": true,
	}
	if len(crit) != len(want) {
		t.Errorf("findings %v, want %v", crit, want)
	}
	for k, v := range want {
		if c, ok := crit[k]; !ok || c != v {
			t.Errorf("%s: critical %v (present %v), want %v", k, c, ok, v)
		}
	}
	if len(in.Disks) != 2 || in.Disks[0].Mount != "/" || in.Memory[0].AvailablePercent != 3 {
		t.Errorf("input %+v", in)
	}
}

// The cluster's input carries each running task's restarts and OOM kills
// from the task events its client stored; finished and lost allocations
// are left out.
func TestAlertInputAllocations(t *testing.T) {
	st := orbittest.NewStore(t)
	v := orbittest.NewView(t, st)
	ctx := t.Context()
	now := time.Now().Truncate(time.Second)
	put := func(a job.Allocation, s job.AllocStatus) {
		b, _ := json.Marshal(a)
		if _, _, err := st.Txn(ctx, nil, []store.Op{store.Put(store.AllocKey(a.ID), b)}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PutAllocStatus(ctx, &s); err != nil {
			t.Fatal(err)
		}
	}
	restarting := func(ago ...time.Duration) []job.TaskEvent {
		var evs []job.TaskEvent
		for _, d := range ago {
			evs = append(evs, job.TaskEvent{Type: "Terminated", Time: now.Add(-d - time.Second), ExitCode: 1},
				job.TaskEvent{Type: "Restarting", Time: now.Add(-d)})
		}
		return evs
	}
	put(job.Allocation{ID: "a1", Node: "n1", JobID: "web", TaskGroup: "g"}, job.AllocStatus{ID: "a1", Node: "n1", ClientStatus: "running",
		TaskStates: map[string]*job.TaskState{
			"server":  {State: "running", Events: restarting(3*time.Minute, 2*time.Minute, time.Minute)},
			"sidecar": {State: "running", Events: []job.TaskEvent{{Type: "Terminated", Time: now.Add(-time.Minute), OOM: true}}},
		}})
	put(job.Allocation{ID: "a2", Node: "n1", JobID: "old", TaskGroup: "g"}, job.AllocStatus{ID: "a2", Node: "n1", ClientStatus: "failed",
		TaskStates: map[string]*job.TaskState{"t": {State: "dead", Events: restarting(time.Minute, time.Minute, time.Minute)}}})
	put(job.Allocation{ID: "a3", Node: "gone", JobID: "web", TaskGroup: "g", Lost: true}, job.AllocStatus{ID: "a3", Node: "gone", ClientStatus: "running",
		TaskStates: map[string]*job.TaskState{"t": {State: "running"}}})

	var in alert.Input
	orbittest.Eventually(t, 10*time.Second, "the allocations in the view", func() bool {
		return len(v.Allocs()) == 3
	})
	in = alertInput(v)
	if len(in.Allocations) != 2 {
		t.Fatalf("allocation input %+v, want a1's two tasks", in.Allocations)
	}
	crit := map[string]bool{}
	for _, f := range alert.Rules(alert.Config{}.WithDefaults(), in, now) {
		if f.Critical {
			crit[f.Key.ID()] = true
		}
	}
	if !crit["orbit.alloc_a1_server.alloc_restart_loop"] || !crit["orbit.alloc_a1_sidecar.alloc_oom_killed"] || len(crit) != 2 {
		t.Errorf("critical alerts %v, want a1's server restart loop and its sidecar's OOM kill", crit)
	}
}

type usage struct {
	size, quota int64
	ok          bool
}

func (u usage) DBUsage() (int64, int64, bool) { return u.size, u.quota, u.ok }

func TestEtcdAlertInput(t *testing.T) {
	if got := etcdAlertInput("s1", usage{ok: false}); got != nil {
		t.Errorf("external store: %+v, want nothing", got)
	}
	got := etcdAlertInput("s1", usage{470 << 20, 512 << 20, true})
	fs := alert.Rules(alert.Config{}.WithDefaults(), alert.Input{Etcd: got}, time.Unix(0, 0))
	if len(fs) != 1 || !fs[0].Critical || fs[0].Key != (alert.Key{Node: "s1", Chart: "orbit.etcd", Name: "etcd_db_quota"}) {
		t.Errorf("470 of 512 MiB: %+v, want a critical etcd_db_quota on s1", fs)
	}
}

// An edge's certificate files are read for the certificate_expiry rule.
func TestCertAlertInput(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := time.Now().Add(72 * time.Hour).Truncate(time.Second).UTC()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(1),
		DNSNames: []string{"lab.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}, &x509.Certificate{SerialNumber: big.NewInt(1),
		DNSNames: []string{"lab.example"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter}, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lab.crt")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &Agent{cfg: &Config{NodeName: "e1", Edge: true, EdgeCfg: &EdgeConfig{Certificates: []CertConfig{
		{CertFile: path}, {CertFile: filepath.Join(dir, "missing.crt")},
	}}}}
	got := a.certAlertInput()
	if len(got) != 1 || got[0] != (alert.Certificate{Node: "e1", Name: "lab.example", NotAfter: notAfter}) {
		t.Fatalf("certificates %+v, want lab.example expiring %v", got, notAfter)
	}
	fs := alert.Rules(alert.Config{}.WithDefaults(), alert.Input{Certificates: got}, time.Now())
	if len(fs) != 1 || !fs[0].Critical || fs[0].Key.Node != "e1" {
		t.Errorf("three days left: %+v, want critical on e1", fs)
	}
	if (&Agent{cfg: &Config{NodeName: "c1"}}).certAlertInput() != nil {
		t.Error("a node without the edge role serves no certificate")
	}
}
