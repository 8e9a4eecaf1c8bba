package consul_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestBadInputIs400AndWritesNothing(t *testing.T) {
	a := testagent.Start(t)
	cases := []struct {
		name, path, body, want string
	}{
		{"not json", "/v1/agent/service/register", `{"Name": "web",`, "not valid JSON"},
		{"empty body", "/v1/agent/service/register", ``, "empty"},
		{"no name", "/v1/agent/service/register", `{"Port": 80}`, "missing service name"},
		{"port out of range", "/v1/agent/service/register", `{"Name":"web","Port":70000}`, "out of range"},
		{"port wrong type", "/v1/agent/service/register", `{"Name":"web","Port":"eighty"}`, "\"Port\" must be int"},
		{"bad interval", "/v1/agent/service/register", `{"Name":"web","Check":{"HTTP":"http://x","Interval":"often"}}`, "invalid duration"},
		{"check without type", "/v1/agent/service/register", `{"Name":"web","Check":{"Interval":"10s"}}`, "one of HTTP"},
		{"http without interval", "/v1/agent/service/register", `{"Name":"web","Check":{"HTTP":"http://x"}}`, "Interval"},
		{"script disabled", "/v1/agent/service/register", `{"Name":"web","Check":{"Args":["true"],"Interval":"1s"}}`, "Scripts are disabled"},
		{"second check bad (nothing half-written)", "/v1/agent/service/register",
			`{"Name":"web","Checks":[{"TTL":"10s"},{"HTTP":"ftp://x","Interval":"1s"}]}`, "http://"},
		{"bad status", "/v1/agent/service/register", `{"Name":"web","Check":{"TTL":"10s","Status":"fine"}}`, "invalid check status"},
		{"slash in id", "/v1/agent/service/register", `{"Name":"web","ID":"a/b"}`, "must not contain"},
		{"catalog no node", "/v1/catalog/register", `{"Address":"1.2.3.4"}`, "Must provide node"},
		{"catalog no address", "/v1/catalog/register", `{"Node":"ext"}`, "Must provide address"},
		{"check for unknown service", "/v1/agent/check/register", `{"Name":"c","TTL":"10s","ServiceID":"nope"}`, "does not exist"},
		{"bad cas", "/v1/kv/x?cas=abc", `v`, "cas"},
		{"acquire unknown session", "/v1/kv/x?acquire=s1", `v`, "invalid session"},
		{"acquire with cas", "/v1/kv/x?acquire=s1&cas=0", `v`, "cas cannot"},
		{"session bad TTL", "/v1/session/create", `{"TTL":"1s"}`, "invalid TTL"},
		{"session bad behavior", "/v1/session/create", `{"Behavior":"keep"}`, "invalid Behavior"},
		{"bad index", "/v1/health/service/web?index=-1", ``, "index"},
		{"bad wait", "/v1/health/service/web?index=1&wait=soon", ``, "wait"},
		{"other dc", "/v1/health/service/web?dc=dc9", ``, "No path to datacenter"},
		{"bad state", "/v1/health/state/sleepy", ``, "Invalid state"},
		{"bad node-meta", "/v1/catalog/nodes?node-meta=nocolon", ``, "node-meta"},
	}
	for _, tc := range cases {
		method := "PUT"
		if strings.HasPrefix(tc.path, "/v1/health") || strings.HasPrefix(tc.path, "/v1/catalog/nodes") {
			method = "GET"
		}
		code, body := do(t, method, a.URL+tc.path, tc.body)
		if code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %q; want 400 containing %q", tc.name, code, body, tc.want)
		}
	}
	// Nothing was written by any of them: the catalog holds only the
	// server's own `consul` service.
	c := newClient(t, a)
	svcs, _, err := c.Catalog().Services(nil)
	if _, ok := svcs["consul"]; err != nil || len(svcs) != 1 || !ok {
		t.Fatalf("services after bad input: %v %v", svcs, err)
	}
	if keys, _, _ := c.KV().Keys("", "", nil); len(keys) != 0 {
		t.Fatalf("keys after bad input: %v", keys)
	}
	if code, _ := do(t, "DELETE", a.URL+"/v1/agent/services", ""); code != 405 {
		t.Errorf("wrong method: %d, want 405", code)
	}
}

func TestSnakeCaseRegistration(t *testing.T) {
	a := testagent.Start(t)
	code, body := do(t, "PUT", a.URL+"/v1/agent/service/register", `{
		"name": "cache", "id": "cache-1", "port": 6379, "tags": ["redis"], "meta": {"Some_Key": "v"},
		"check": {"name": "ping", "tcp": "127.0.0.1:1", "interval": "5s", "timeout": "1s",
		          "deregister_critical_service_after": "90m", "success_before_passing": 2}}`)
	if code != 200 {
		t.Fatalf("register: %d %s", code, body)
	}
	c := newClient(t, a)
	s, _, err := c.Agent().Service("cache-1", nil)
	if err != nil || s.Port != 6379 || s.Meta["Some_Key"] != "v" {
		t.Fatalf("service: %+v %v", s, err)
	}
	hc, _, _ := c.Health().Checks("cache", nil)
	if len(hc) != 1 || hc[0].Name != "ping" || hc[0].Definition.DeregisterCriticalServiceAfter.String() != "1h30m0s" || hc[0].Status != "critical" {
		t.Fatalf("check: %+v", hc)
	}
}

func TestCatalogRegisterExternal(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	_, err := c.Catalog().Register(&capi.CatalogRegistration{Node: "nas", Address: "127.0.0.20",
		NodeMeta: map[string]string{"rack": "r1"},
		Service:  &capi.AgentService{ID: "nfs", Service: "nfs", Port: 2049},
		Check:    &capi.AgentCheck{CheckID: "nfs-alive", Name: "nfs alive", Status: "passing", ServiceID: "nfs"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	es, _, err := c.Health().Service("nfs", "", true, nil)
	if err != nil || len(es) != 1 || es[0].Node.Address != "127.0.0.20" || len(es[0].Checks) != 1 {
		t.Fatalf("external service: %+v %v", es, err)
	}
	nodes, _, _ := c.Catalog().Nodes(&capi.QueryOptions{NodeMeta: map[string]string{"rack": "r1"}})
	if len(nodes) != 1 || nodes[0].Node != "nas" {
		t.Fatalf("node-meta filter: %+v", nodes)
	}
	if _, err := c.Catalog().Deregister(&capi.CatalogDeregistration{Node: "nas"}, nil); err != nil {
		t.Fatal(err)
	}
	if es, _, _ := c.Health().Service("nfs", "", false, nil); len(es) != 0 {
		t.Fatalf("after node deregister: %+v", es)
	}
}
