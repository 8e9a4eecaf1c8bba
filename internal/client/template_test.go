package client

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/driver/drivertest"
	"github.com/orbit/orbit/internal/job"
	"github.com/orbit/orbit/internal/orbittest"
	"github.com/orbit/orbit/internal/view"
)

// memSource is an in-memory TemplateSource for the rendering table tests.
type memSource struct {
	kv       map[string]string
	entries  map[string][]view.Entry
	services map[string][]string
}

var _ TemplateSource = (*memSource)(nil)

func (m *memSource) KV(k string) (*catalog.KVEntry, bool) {
	v, ok := m.kv[k]
	if !ok {
		return nil, false
	}
	return &catalog.KVEntry{Key: k, Value: []byte(v)}, true
}

func (m *memSource) KVList(prefix string) []*catalog.KVEntry {
	var out []*catalog.KVEntry
	for k, v := range m.kv {
		if strings.HasPrefix(k, prefix) {
			out = append(out, &catalog.KVEntry{Key: k, Value: []byte(v)})
		}
	}
	sortKV(out)
	return out
}

func sortKV(es []*catalog.KVEntry) {
	for i := range es {
		for j := i + 1; j < len(es); j++ {
			if es[j].Key < es[i].Key {
				es[i], es[j] = es[j], es[i]
			}
		}
	}
}

func (m *memSource) Entries(s string) []view.Entry { return m.entries[s] }
func (m *memSource) Services() map[string][]string { return m.services }

func TestRenderTemplateFunctions(t *testing.T) {
	n := &catalog.Node{Name: "n1", Address: "10.0.0.1"}
	src := &memSource{
		kv: map[string]string{"app/name": "shop", "app/cfg/a": "1", "app/cfg/b": "2", "app/cfg/deep/c": "3"},
		entries: map[string][]view.Entry{"db": {
			{Node: n, Instance: &catalog.Instance{ID: "db1", Name: "db", Port: 5432, Tags: []string{"primary"}}, Status: catalog.Passing},
			{Node: n, Instance: &catalog.Instance{ID: "db2", Name: "db", Address: "10.0.0.9", Port: 5433}, Status: catalog.Passing},
			{Node: n, Instance: &catalog.Instance{ID: "db3", Name: "db", Port: 5434}, Status: catalog.Critical},
		}},
		services: map[string][]string{"web": {"v1"}, "db": {"primary"}},
	}
	env := map[string]string{"NOMAD_PORT_http": "21000"}
	tests := []struct {
		data, want string
		missing    bool
	}{
		{`{{ key "app/name" }}`, "shop", false},
		{`{{ keyOrDefault "app/nope" "dflt" }}`, "dflt", false},
		{`{{ key "app/nope" }}`, "", true},
		{`{{ range ls "app/cfg" }}{{ .Key }}={{ .Value }};{{ end }}`, "a=1;b=2;", false},
		{`{{ range tree "app/cfg/" }}{{ .Key }};{{ end }}`, "a;b;deep/c;", false},
		{`{{ range service "db" }}{{ .Address }}:{{ .Port }} {{ end }}`, "10.0.0.1:5432 10.0.0.9:5433 ", false},
		{`{{ range service "primary.db" }}{{ .ID }}{{ end }}`, "db1", false},
		{`{{ range services }}{{ .Name }}{{ .Tags }} {{ end }}`, "db[primary] web[v1] ", false},
		{`{{ env "NOMAD_PORT_http" }}`, "21000", false},
		{`{{ with key "app/name" }}name={{ . }}{{ end }}`, "name=shop", false},
		{`{{ keyOrDefault "app/name" "" | toUpper }}`, "SHOP", false},
		{`{{ toJSON (service "primary.db") | contains "5432" }}`, "true", false},
	}
	for _, tt := range tests {
		res, err := renderTemplate(&job.Template{Destination: "local/x"}, tt.data, src, env)
		if err != nil {
			t.Errorf("%s: %v", tt.data, err)
			continue
		}
		if res.Content != tt.want || (len(res.Missing) > 0) != tt.missing {
			t.Errorf("%s = %q (missing %v), want %q (missing %v)", tt.data, res.Content, res.Missing, tt.want, tt.missing)
		}
	}
	res, err := renderTemplate(&job.Template{Destination: "x", LeftDelim: "[[", RightDelim: "]]"}, `[[ key "app/name" ]] {{x}}`, src, env)
	if err != nil || res.Content != "shop {{x}}" {
		t.Errorf("custom delimiters: %q %v", res.Content, err)
	}
	if _, err := renderTemplate(&job.Template{Destination: "x"}, `{{ nosuchfunc }}`, src, env); err == nil {
		t.Error("unknown function accepted")
	}
}

// Templates read the view: a file template and an env template render
// before the task starts (waiting for a missing key), a KV change
// re-renders them, change_mode signal signals the task and change_mode
// restart restarts it with the new environment.
func TestTemplatesRenderAndReact(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.startClient(true)
	j := h.webJob("tpl")
	task := j.Groups[0].Tasks[0]
	task.Templates = []*job.Template{
		{Data: `greeting={{ key "cfg/greeting" }} port=${NOMAD_PORT_http} node=${node.unique.name}`, Destination: "local/app.conf",
			ChangeMode: job.ChangeModeSignal, ChangeSignal: "SIGHUP"},
		{Data: `COLOR={{ keyOrDefault "cfg/color" "blue" }}`, Destination: "secrets/env", Env: true, ChangeMode: job.ChangeModeRestart},
	}
	h.putJob(j, 0)
	a := newAlloc(j, "alloc-t", 0)
	h.putAlloc(a)

	orbittest.Eventually(t, 10*time.Second, "waiting on missing key", func() bool {
		st := h.status(a.ID)
		if st == nil {
			return false
		}
		for _, ev := range st.TaskStates["server"].Events {
			if ev.Type == "Template" && strings.Contains(ev.Message, "kv.block(cfg/greeting)") {
				return true
			}
		}
		return false
	})
	if st := h.status(a.ID); st.TaskStates["server"].State != job.TaskPending {
		t.Fatalf("task started before its template could render: %+v", st.TaskStates["server"])
	}
	if _, _, err := h.st.KVPut(ctx, "cfg/greeting", 0, []byte("hello"), nil); err != nil {
		t.Fatal(err)
	}
	st := h.waitStatus(a.ID, job.ClientRunning, 20*time.Second)
	p := port(st, "http")
	url := baseURL(p)
	drivertest.WaitHTTP(t, url+"/health", 10*time.Second)
	conf := filepath.Join(h.dataDir, "alloc", a.ID, "server", "local", "app.conf")
	if b, _ := os.ReadFile(conf); string(b) != "greeting=hello port="+itoa(p)+" node="+testNode {
		t.Fatalf("rendered %q", b)
	}
	env := map[string]string{}
	getJSON(t, url+"/env", &env)
	if env["COLOR"] != "blue" {
		t.Fatalf("env template not in the environment: COLOR=%q", env["COLOR"])
	}

	// change_mode signal: the file changes and the task gets SIGHUP.
	pid := getPID(t, url)
	if _, _, err := h.st.KVPut(ctx, "cfg/greeting", 0, []byte("bonjour"), nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 10*time.Second, "re-rendered file", func() bool {
		b, _ := os.ReadFile(conf)
		return strings.HasPrefix(string(b), "greeting=bonjour")
	})
	orbittest.Eventually(t, 10*time.Second, "SIGHUP in the task's log", func() bool {
		return strings.Contains(readLog(t, h, a.ID), "got hangup")
	})
	if getPID(t, url) != pid {
		t.Fatal("change_mode signal restarted the task")
	}

	// change_mode restart: the task restarts with the new variable.
	if _, _, err := h.st.KVPut(ctx, "cfg/color", 0, []byte("green"), nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 15*time.Second, "restarted with COLOR=green", func() bool {
		env := map[string]string{}
		resp, err := http.Get(url + "/env")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"COLOR":"green"`) && decodeInto(b, &env) && env["COLOR"] == "green"
	})
	if getPID(t, url) == pid {
		t.Fatal("change_mode restart did not restart the task")
	}
}

func readLog(t *testing.T, h *harness, allocID string) string {
	b, _ := os.ReadFile(filepath.Join(h.dataDir, "alloc", allocID, "alloc", "logs", "server.stdout.0"))
	return string(b)
}
