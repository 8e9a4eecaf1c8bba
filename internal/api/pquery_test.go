package api

import (
	"slices"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/view"
)

func TestPQResolve(t *testing.T) {
	tmpl := pqTemplate{Type: pqTemplateNamePrefix}
	defs := []*pqDef{
		{ID: "id-1", Name: "web"},
		{ID: "id-2", Name: "", Template: tmpl},
		{ID: "id-3", Name: "geo-", Template: tmpl},
		{ID: "id-4", Name: "geo-db-", Template: tmpl},
	}
	for _, tc := range []struct{ name, want string }{
		{"id-1", "id-1"},
		{"web", "id-1"},
		{"geo-web", "id-3"},
		{"geo-db-x", "id-4"},
		{"other", "id-2"},
	} {
		if got := pqResolve(defs, tc.name); got == nil || got.ID != tc.want {
			t.Errorf("%s: got %v, want %s", tc.name, got, tc.want)
		}
	}
	if got := pqResolve(defs[:1], "nope"); got != nil {
		t.Errorf("nope: got %v", got)
	}
}

func TestPQRender(t *testing.T) {
	d := &pqDef{Name: "geo-", Template: pqTemplate{Type: pqTemplateNamePrefix, Regexp: `^geo-(\w+)-?(v\d)?$`, RemoveEmptyTags: true},
		Service: pqService{Service: "${match(1)}", Tags: []string{"${match(2)}", "x-${name.suffix}"}, NodeMeta: map[string]string{"k": "${name.full}"}}}
	for _, tc := range []struct {
		name, svc string
		tags      []string
	}{
		{"geo-db-v2", "db", []string{"v2", "x-db-v2"}},
		{"geo-db", "db", []string{"x-db"}},
	} {
		got, err := d.render(tc.name)
		if err != nil || got.Service.Service != tc.svc || !slices.Equal(got.Service.Tags, tc.tags) || got.Service.NodeMeta["k"] != tc.name {
			t.Errorf("%s: %+v %v", tc.name, got, err)
		}
	}
	if d.Service.Service != "${match(1)}" {
		t.Errorf("render changed the stored query: %+v", d.Service)
	}
	bad := &pqDef{Name: "b", Template: pqTemplate{Type: pqTemplateNamePrefix}, Service: pqService{Service: "${nope}"}}
	if err := bad.validate(); err == nil {
		t.Error("unknown variable accepted")
	}
}

func TestPQValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    pqDef
		ok   bool
	}{
		{"minimal", pqDef{Service: pqService{Service: "web"}}, true},
		{"no service", pqDef{Name: "x"}, false},
		{"uuid name", pqDef{Name: "8b52e4a0-0b6e-4c1d-9a8e-5f0c0d0f1e2a", Service: pqService{Service: "web"}}, false},
		{"negative NearestN", pqDef{Service: pqService{Service: "web", Failover: pqFailover{NearestN: -1}}}, false},
		{"bad ttl", pqDef{Service: pqService{Service: "web"}, DNS: pqDNS{TTL: "soon"}}, false},
		{"bad template type", pqDef{Service: pqService{Service: "web"}, Template: pqTemplate{Type: "regexp"}}, false},
		{"bad regexp", pqDef{Service: pqService{Service: "web"}, Template: pqTemplate{Type: pqTemplateNamePrefix, Regexp: "("}}, false},
	} {
		if err := tc.d.validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestPQSelect(t *testing.T) {
	entry := func(node string, tags []string, st ...catalog.Status) view.Entry {
		e := view.Entry{Node: &catalog.Node{Name: node}, Instance: &catalog.Instance{Name: "db", Tags: tags}}
		for i, s := range st {
			e.Checks = append(e.Checks, &catalog.Check{CheckID: string(rune('a' + i)), Status: s})
		}
		return e
	}
	entries := []view.Entry{
		entry("ok", []string{"Primary"}, catalog.Passing),
		entry("warn", []string{"primary"}, catalog.Warning),
		entry("crit", []string{"primary"}, catalog.Passing, catalog.Critical),
		entry("replica", []string{"replica"}),
	}
	names := func(es []view.Entry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Node.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		q     pqService
		near  string
		limit int
		want  []string
	}{
		{"healthy", pqService{}, "", 0, []string{"ok", "warn", "replica"}},
		{"only passing", pqService{OnlyPassing: true}, "", 0, []string{"ok", "replica"}},
		{"ignored check", pqService{IgnoreCheckIDs: []string{"b"}}, "", 0, []string{"ok", "warn", "crit", "replica"}},
		{"tag any case", pqService{Tags: []string{"PRIMARY"}}, "", 0, []string{"ok", "warn"}},
		{"negated tag", pqService{Tags: []string{"!primary"}}, "", 0, []string{"replica"}},
		{"near first", pqService{}, "replica", 0, []string{"replica", "ok", "warn"}},
		{"limit", pqService{}, "", 2, []string{"ok", "warn"}},
	} {
		if got := names(pqSelect(&tc.q, entries, tc.near, tc.limit)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
