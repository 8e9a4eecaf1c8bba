package agent

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/alert"
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
