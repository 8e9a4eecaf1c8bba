package filter

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

// entryJSON is shaped like one element of Consul's /v1/health/service/:name.
const entryJSON = `{
  "Node": {"Node": "n1", "Address": "10.0.0.1", "Datacenter": "dc1",
           "Meta": {"rack": "r1", "key with space": "yes", "empty": ""},
           "TaggedAddresses": null},
  "Service": {"ID": "web-1", "Service": "web", "Tags": ["v1", "primary", "http"],
              "Port": 8080, "Address": "", "EnableTagOverride": false,
              "Meta": {"env": "prod", "version": "1.2.3"},
              "Weights": {"Passing": 1, "Warning": 1},
              "Ratios": [0.5, 1, true, "x", null, {"k": "v"}]},
  "Checks": [
    {"CheckID": "serfHealth", "Name": "Serf Health", "Status": "passing", "ServiceID": "",
     "ServiceTags": []},
    {"CheckID": "service:web-1", "Name": "http", "Status": "critical", "ServiceID": "web-1",
     "Output": "connection refused", "ServiceTags": ["v1"]}
  ]
}`

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode fixture: %v", err)
	}
	return v
}

func TestMatch(t *testing.T) {
	entry := decode(t, entryJSON)
	cases := []struct {
		expr string
		want bool
	}{
		// == and != on strings, numbers and booleans (values coerce to the
		// selected value's type, quoted or not).
		{`Service.Service == "web"`, true},
		{`Service.Service == web`, true},
		{"Service.Service == `web`", true},
		{`Service.Service == "Web"`, false}, // case-sensitive
		{`Service.Service != "web"`, false},
		{`Service.Service != "db"`, true},
		{`Service.Port == 8080`, true},
		{`Service.Port == "8080"`, true},
		{`Service.Port == 8080.0`, true},
		{`Service.Port == 80`, false},
		{`Service.Port == "http"`, false},
		{`Service.Port != "http"`, true},
		{`Service.EnableTagOverride == false`, true},
		{`Service.EnableTagOverride == "false"`, true},
		{`Service.EnableTagOverride == true`, false},
		{`Service.EnableTagOverride == maybe`, false},
		{`Service.Weights.Passing == 1`, true},
		{`Node.Meta["key with space"] == yes`, true},
		{"Node.Meta[`key with space`] == yes", true},
		{`Service.Meta.version == "1.2.3"`, true},
		{`Service.Meta.version == v1.2.3`, false},
		// A missing field or key selects nothing: only "is empty" and the
		// negated operators hold.
		{`Service.Meta.missing == "x"`, false},
		{`Service.Meta.missing != "x"`, true},
		{`"x" in Service.Meta.missing`, false},
		{`"x" not in Service.Meta.missing`, true},
		{`Service.Meta.missing matches ".*"`, false},
		{`Service.Meta.missing not matches ".*"`, true},
		{`Service.Meta.missing is empty`, true},
		{`Service.Meta.missing is not empty`, false},
		{`Nope.Deeper.Still == x`, false},
		{`Service.Service.Deeper == x`, false}, // through a string
		{`Service == "web"`, false},            // an object is not a string
		// in / contains on a slice tests elements (coerced per element).
		{`"v1" in Service.Tags`, true},
		{`v1 in Service.Tags`, true},
		{`"v" in Service.Tags`, false}, // elements, not substrings
		{`"v1" not in Service.Tags`, false},
		{`"v2" not in Service.Tags`, true},
		{`Service.Tags contains "primary"`, true},
		{`Service.Tags contains "canary"`, false},
		{`Service.Tags not contains "canary"`, true},
		{`0.5 in Service.Ratios`, true},
		{`1 in Service.Ratios`, true},
		{`true in Service.Ratios`, true},
		{`"x" in Service.Ratios`, true},
		{`2 in Service.Ratios`, false},
		{`"k" in Service.Ratios`, false}, // objects in a slice are not compared
		// in / contains on a map tests keys.
		{`"env" in Service.Meta`, true},
		{`"prod" in Service.Meta`, false},
		{`Service.Meta contains "version"`, true},
		{`"env" not in Service.Meta`, false},
		{`"Passing" in Service.Weights`, true},
		// in / contains on a string tests substrings.
		{`"eb" in Service.Service`, true},
		{`Service.Service contains "we"`, true},
		{`Service.Service contains "db"`, false},
		{`"" in Service.Service`, true},
		{`Checks.Output contains "refused"`, true},
		// in on a number or a boolean never holds.
		{`"80" in Service.Port`, false},
		{`"80" not in Service.Port`, true},
		// matches: Go regular expressions, unanchored, on strings only.
		{`Service.ID matches "^web-[0-9]+$"`, true},
		{`Service.ID matches "eb"`, true},
		{`Service.ID matches "^db"`, false},
		{`Service.ID not matches "^db"`, true},
		{"Node.Address matches `^10\\.0\\.`", true},
		{`Node.Address matches "^10\\.1\\."`, false},
		{`Service.Port matches "80"`, false},
		{`Service.Tags matches "v1"`, false},
		// is empty on strings, slices, maps, null; never on numbers.
		{`Service.Address is empty`, true},
		{`Service.Address is not empty`, false},
		{`Service.ID is empty`, false},
		{`Service.Tags is empty`, false},
		{`Service.Tags is not empty`, true},
		{`Checks.ServiceTags is empty`, true}, // the first check's tags
		{`Service.Meta is not empty`, true},
		{`Node.TaggedAddresses is empty`, true},
		{`Node.Meta.empty is empty`, true},
		{`Service.Port is empty`, false},
		{`Service.Port is not empty`, true},
		// A selector through a slice of objects matches when any element
		// does; the negated operators negate that.
		{`Checks.Status == "passing"`, true},
		{`Checks.Status == "critical"`, true},
		{`Checks.Status == "warning"`, false},
		{`Checks.Status != "passing"`, false},
		{`Checks.Status != "warning"`, true},
		{`Checks.CheckID matches "^service:"`, true},
		{`"v1" in Checks.ServiceTags`, true},
		{`"v1" not in Checks.ServiceTags`, false},
		{`Checks.ServiceID == "web-1" and Checks.Status == "passing"`, true}, // each independently
		// A numeric segment indexes a slice.
		{`Checks.0.Status == "passing"`, true},
		{`Checks.1.Status == "passing"`, false},
		{`Checks.1.Status == "critical"`, true},
		{`Checks.2.Status == "critical"`, false},
		{`Checks.2.Status is empty`, true},
		{`Service.Tags.1 == "primary"`, true},
		{`Checks["1"].Status == "critical"`, true},
		// Boolean logic and precedence.
		{`Service.Service == web and Service.Port == 8080`, true},
		{`Service.Service == web and Service.Port == 80`, false},
		{`Service.Service == db or Service.Port == 8080`, true},
		{`Service.Service == db or Service.Port == 80`, false},
		{`not Service.Service == db`, true},
		{`not Service.Service == web`, false},
		{`not not Service.Service == web`, true},
		// or binds looser than and: true or (false and false).
		{`Service.Service == web or Service.Port == 1 and Service.ID == x`, true},
		{`(Service.Service == web or Service.Port == 1) and Service.ID == x`, false},
		// not binds tighter than and: (not true) and true.
		{`not Service.Service == web and Service.Port == 8080`, false},
		{`not (Service.Service == web and Service.Port == 1)`, true},
		{`Service.Service == db and not Service.Port == 1 or Service.ID == x`, false},
		{`Service.Service == db and not Service.Port == 1 or Service.ID == "web-1"`, true},
	}
	for _, c := range cases {
		e, err := Parse(c.expr)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.expr, err)
			continue
		}
		if got := e.Match(entry); got != c.want {
			t.Errorf("%s: got %v, want %v", c.expr, got, c.want)
		}
	}
}

// TestMatchScalarsAndOddShapes evaluates over values that are not objects.
func TestMatchScalarsAndOddShapes(t *testing.T) {
	e, err := Parse(`a == "x"`)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{nil, "x", 1.0, true, []any{}, map[string]any{}, map[string]string{"a": "x"}, math.NaN()} {
		if e.Match(v) {
			t.Errorf("Match(%#v) = true, want false", v)
		}
	}
	// A top-level slice: the selector applies to each element.
	if !e.Match([]any{map[string]any{"a": "y"}, map[string]any{"a": "x"}}) {
		t.Errorf("Match over a slice of objects should hold when one element matches")
	}
	nan, err := Parse(`a == NaN`)
	if err != nil {
		t.Fatal(err)
	}
	if nan.Match(map[string]any{"a": math.NaN()}) {
		t.Errorf("NaN must never equal")
	}
	if !nan.Match(map[string]any{"a": "NaN"}) {
		t.Errorf(`a == NaN should match the string "NaN"`)
	}
}

// node is shaped like one element of Consul's /v1/catalog/nodes.
type catalogNode struct {
	ID      string
	Node    string
	Address string
	Meta    map[string]string
	Tags    []string `json:"Tags,omitempty"`
}

func TestFilter(t *testing.T) {
	nodes := []catalogNode{
		{ID: "1", Node: "a", Address: "10.0.0.1", Meta: map[string]string{"rack": "r1"}},
		{ID: "2", Node: "b", Address: "10.0.0.2", Meta: map[string]string{"rack": "r2"}},
		{ID: "3", Node: "c", Address: "10.0.1.3", Meta: nil},
	}
	cases := []struct {
		expr string
		want []string
	}{
		{`Meta.rack == r1`, []string{"1"}},
		{`Meta.rack != r1`, []string{"2", "3"}},
		{`Meta is empty`, []string{"3"}},
		{`"rack" in Meta`, []string{"1", "2"}},
		{`Address matches "^10\\.0\\.0\\."`, []string{"1", "2"}},
		{`Tags is empty`, []string{"1", "2", "3"}}, // omitted field
		{`Node == z`, []string{}},
		{`meta.rack == r1`, []string{}}, // field names are case-sensitive
	}
	for _, c := range cases {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.expr, err)
		}
		got, err := Filter(e, nodes)
		if err != nil {
			t.Fatalf("Filter(%q): %v", c.expr, err)
		}
		var ids []string
		for _, n := range got {
			ids = append(ids, n.ID)
		}
		if !slices.Equal(ids, c.want) && !(len(ids) == 0 && len(c.want) == 0) {
			t.Errorf("Filter(%q) = %v, want %v", c.expr, ids, c.want)
		}
	}

	all, err := Filter(nil, nodes)
	if err != nil || len(all) != len(nodes) {
		t.Errorf("Filter(nil) = %d items, %v; want all %d", len(all), err, len(nodes))
	}
}

func TestFilterEncodeError(t *testing.T) {
	e, err := Parse(`a == b`)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Filter(e, []any{map[string]any{"a": "b"}, func() {}})
	var ue *json.UnsupportedTypeError
	if !errors.As(err, &ue) {
		t.Fatalf("Filter with an unencodable item: got %v, want a wrapped *json.UnsupportedTypeError", err)
	}
}
