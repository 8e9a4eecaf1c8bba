package consul_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// registerRedis registers service redis on node with tags and, when
// status is set, a check of that status named check.
func registerRedis(t *testing.T, c *capi.Client, node, id string, tags []string, meta map[string]string, check, status string) {
	t.Helper()
	reg := &capi.CatalogRegistration{
		Node: node, Address: "192.0.2.1", NodeMeta: map[string]string{"rack": "r1"},
		Service: &capi.AgentService{ID: id, Service: "redis", Tags: tags, Meta: meta, Port: 6379},
	}
	if status != "" {
		reg.Check = &capi.AgentCheck{Node: node, CheckID: check, Name: check, ServiceID: id, Status: status}
	}
	if _, err := c.Catalog().Register(reg, nil); err != nil {
		t.Fatal(err)
	}
}

func executedNodes(t *testing.T, q *capi.PreparedQuery, idOrName string, opts *capi.QueryOptions) []string {
	t.Helper()
	res, _, err := q.Execute(idOrName, opts)
	if err != nil {
		t.Fatalf("execute %q: %v", idOrName, err)
	}
	var out []string
	for _, e := range res.Nodes {
		out = append(out, e.Node.Node)
	}
	slices.Sort(out)
	return out
}

// TestPreparedQueryLifecycle creates, reads, lists, updates, executes and
// deletes a prepared query through consul/api: executions keep only
// healthy instances matching the query's tags and metadata, ignore the
// checks named in IgnoreCheckIDs, honour OnlyPassing and ?limit, and
// names are unique.
func TestPreparedQueryLifecycle(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	registerRedis(t, c, "n-ok", "redis1", []string{"primary", "v1"}, map[string]string{"ver": "7"}, "", "")
	registerRedis(t, c, "n-warn", "redis1", []string{"primary"}, map[string]string{"ver": "7"}, "slow", "warning")
	registerRedis(t, c, "n-bad", "redis1", []string{"primary"}, map[string]string{"ver": "7"}, "down", "critical")
	registerRedis(t, c, "n-old", "redis1", []string{"replica"}, map[string]string{"ver": "6"}, "", "")

	q := c.PreparedQuery()
	def := &capi.PreparedQueryDefinition{
		Name:    "cache",
		Service: capi.ServiceQuery{Service: "redis", ServiceMeta: map[string]string{"ver": "7"}, NodeMeta: map[string]string{"rack": "r1"}},
		DNS:     capi.QueryDNSOptions{TTL: "10s"},
	}
	id, _, err := q.Create(def, nil)
	if err != nil || id == "" {
		t.Fatalf("create: %q %v", id, err)
	}
	def.ID = id
	got, _, err := q.Get(id, nil)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], def) {
		t.Fatalf("get: %+v %v", got, err)
	}
	if list, _, err := q.List(nil); err != nil || len(list) != 1 || list[0].ID != id {
		t.Fatalf("list: %+v %v", list, err)
	}

	// Critical instances are left out, warnings kept unless OnlyPassing.
	if got := executedNodes(t, q, id, nil); !slices.Equal(got, []string{"n-ok", "n-warn"}) {
		t.Fatalf("execute by id: %v", got)
	}
	res, _, err := q.Execute("cache", nil)
	if err != nil || res.Service != "redis" || res.Datacenter != "dc1" || res.DNS.TTL != "10s" || res.Failovers != 0 || len(res.Nodes) != 2 {
		t.Fatalf("execute by name: %+v %v", res, err)
	}
	var limited capi.PreparedQueryExecuteResponse
	resp, err := http.Get("http://" + a.HTTPAddr().String() + "/v1/query/" + id + "/execute?limit=1")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&limited)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(limited.Nodes) != 1 {
		t.Fatalf("limit 1: %d %+v %v", resp.StatusCode, limited, err)
	}
	// ?near puts the instances on that node first.
	for range 5 {
		res, _, err := q.Execute(id, &capi.QueryOptions{Near: "n-warn"})
		if err != nil || len(res.Nodes) != 2 || res.Nodes[0].Node.Node != "n-warn" {
			t.Fatalf("near n-warn: %+v %v", res, err)
		}
	}

	def.Service.OnlyPassing = true
	def.Service.Tags = []string{"PRIMARY", "!v2"}
	if _, err := q.Update(def, nil); err != nil {
		t.Fatal(err)
	}
	if got := executedNodes(t, q, id, nil); !slices.Equal(got, []string{"n-ok"}) {
		t.Fatalf("only passing: %v", got)
	}
	def.Service.OnlyPassing = false
	def.Service.IgnoreCheckIDs = []string{"down"}
	if _, err := q.Update(def, nil); err != nil {
		t.Fatal(err)
	}
	if got := executedNodes(t, q, id, nil); !slices.Equal(got, []string{"n-bad", "n-ok", "n-warn"}) {
		t.Fatalf("ignored check: %v", got)
	}

	// Names are unique; a query without a service is refused.
	if _, _, err := q.Create(&capi.PreparedQueryDefinition{Name: "cache", Service: capi.ServiceQuery{Service: "x"}}, nil); err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, _, err := q.Create(&capi.PreparedQueryDefinition{Name: "empty"}, nil); err == nil || !strings.Contains(err.Error(), "Must provide a Service name") {
		t.Fatalf("no service: %v", err)
	}
	if _, _, err := q.Execute("nope", nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("unknown query: %v", err)
	}

	if _, err := q.Delete(id, nil); err != nil {
		t.Fatal(err)
	}
	if list, _, err := q.List(nil); err != nil || len(list) != 0 {
		t.Fatalf("after delete: %+v %v", list, err)
	}
}

// TestPreparedQueryTemplate resolves names by the longest template prefix
// and renders ${name.suffix} and ${match(N)} into the service looked up;
// explain shows the rendered query.
func TestPreparedQueryTemplate(t *testing.T) {
	a := testagent.Start(t)
	c := newClient(t, a)
	registerRedis(t, c, "n1", "redis1", []string{"v1"}, nil, "", "")
	registerRedis(t, c, "n2", "redis2", []string{"v2"}, nil, "", "")
	q := c.PreparedQuery()
	if _, _, err := q.Create(&capi.PreparedQueryDefinition{
		Name:     "geo-",
		Template: capi.QueryTemplate{Type: "name_prefix_match", Regexp: "^geo-([a-z]+)-?(v[0-9])?$", RemoveEmptyTags: true},
		Service:  capi.ServiceQuery{Service: "${match(1)}", Tags: []string{"${match(2)}"}},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.Create(&capi.PreparedQueryDefinition{
		Name:     "",
		Template: capi.QueryTemplate{Type: "name_prefix_match"},
		Service:  capi.ServiceQuery{Service: "${name.full}"},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if got := executedNodes(t, q, "geo-redis-v2", nil); !slices.Equal(got, []string{"n2"}) {
		t.Fatalf("geo-redis-v2: %v", got)
	}
	// The empty tag is removed, so every redis instance answers.
	if got := executedNodes(t, q, "geo-redis", nil); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Fatalf("geo-redis: %v", got)
	}
	// The catch-all template looks the whole name up.
	if got := executedNodes(t, q, "redis", nil); !slices.Equal(got, []string{"n1", "n2"}) {
		t.Fatalf("catch-all: %v", got)
	}
	var ex struct{ Query capi.PreparedQueryDefinition }
	_, err := c.Raw().Query("/v1/query/geo-redis-v1/explain", &ex, nil)
	if err != nil || ex.Query.Service.Service != "redis" || !slices.Equal(ex.Query.Service.Tags, []string{"v1"}) {
		t.Fatalf("explain: %+v %v", ex, err)
	}
	if _, _, err := q.Create(&capi.PreparedQueryDefinition{
		Name: "bad-", Template: capi.QueryTemplate{Type: "name_prefix_match"}, Service: capi.ServiceQuery{Service: "${nope}"},
	}, nil); err == nil || !strings.Contains(err.Error(), "unknown variable") {
		t.Fatalf("bad template: %v", err)
	}
}
