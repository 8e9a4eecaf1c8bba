package acl

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseHCL(t *testing.T) {
	src := `
key_prefix "" {
  policy = "read"
}
key "foo/bar" { policy = "list" }
service "web" {
  policy     = "write"
  intentions = "read"
}
node_prefix "n" { policy = "deny" }
acl      = "write"
operator = "read"
namespace "default" {
  policy       = "read"
  capabilities = ["submit-job"]
}
node { policy = "read" }
agent { policy = "write" }
host_volume "ca-*" { capabilities = ["mount-readonly"] }
`
	got, err := Parse("rules", src)
	if err != nil {
		t.Fatal(err)
	}
	strip(got)
	want := &Rules{
		Grants: []Grant{
			{Resource: Key, Segment: "", Prefix: true, Policy: PolicyRead},
			{Resource: Key, Segment: "foo/bar", Policy: PolicyList},
			{Resource: Service, Segment: "web", Policy: PolicyWrite, Intentions: PolicyRead},
			{Resource: Node, Segment: "n", Prefix: true, Policy: PolicyDeny},
			{Resource: ACL, Prefix: true, Policy: PolicyWrite},
			{Resource: Operator, Prefix: true, Policy: PolicyRead},
			{Resource: Node, Prefix: true, Policy: PolicyRead},
			{Resource: Agent, Prefix: true, Policy: PolicyWrite},
		},
		Namespaces:  []CapabilityGrant{{Name: "default", Policy: PolicyRead, Capabilities: []string{"submit-job"}}},
		HostVolumes: []CapabilityGrant{{Name: "ca-*", Capabilities: []string{"mount-readonly"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// strip zeroes positions so documents from both syntaxes compare equal.
func strip(r *Rules) {
	for i := range r.Grants {
		r.Grants[i].Pos = Pos{}
	}
	for i := range r.Namespaces {
		r.Namespaces[i].Pos = Pos{}
	}
	for i := range r.HostVolumes {
		r.HostVolumes[i].Pos = Pos{}
	}
}

func TestParseHCLAndJSONAgree(t *testing.T) {
	cases := []struct{ name, hcl, json string }{
		{"consul docs example",
			`key_prefix "" { policy = "read" }
key_prefix "foo/" { policy = "write" }
key_prefix "foo/private/" { policy = "deny" }
key "foo/bar/secret" { policy = "deny" }
operator = "read"`,
			`{"key_prefix": {"": {"policy": "read"}, "foo/": {"policy": "write"}, "foo/private/": {"policy": "deny"}},
 "key": {"foo/bar/secret": {"policy": "deny"}}, "operator": "read"}`},
		{"service with intentions",
			"service \"web\" {\n  policy = \"write\"\n  intentions = \"read\"\n}",
			`{"service": {"web": {"policy": "write", "intentions": "read"}}}`},
		{"hcl v1 list of objects",
			`session "a" { policy = "write" }
session_prefix "" { policy = "read" }`,
			`{"session": [{"a": {"policy": "write"}}], "session_prefix": [{"": {"policy": "read"}}]}`},
		{"nomad unlabelled blocks",
			`node { policy = "read" }
agent { policy = "deny" }
operator { policy = "write" }
quota { policy = "read" }
plugin { policy = "list" }`,
			`{"node": {"policy": "read"}, "agent": {"policy": "deny"}, "operator": {"policy": "write"},
 "quota": {"policy": "read"}, "plugin": {"policy": "list"}}`},
		{"consul node named policy",
			`node "policy" { policy = "read" }`,
			`{"node": {"policy": {"policy": "read"}}}`},
		{"nomad namespaces",
			`namespace "default" { policy = "write" }
namespace "prod-*" {
  policy = "read"
  capabilities = ["read-logs", "alloc-exec"]
}`,
			`{"namespace": {"default": {"policy": "write"}, "prod-*": {"policy": "read", "capabilities": ["read-logs", "alloc-exec"]}}}`},
		{"globals",
			`acl = "read"
keyring = "write"
mesh = "deny"
peering = "read"`,
			`{"acl": "read", "keyring": "write", "mesh": "deny", "peering": "read"}`},
		{"events and queries",
			`event_prefix "" { policy = "read" }
event "deploy" { policy = "write" }
query_prefix "" { policy = "read" }`,
			`{"event_prefix": {"": {"policy": "read"}}, "event": {"deploy": {"policy": "write"}}, "query_prefix": {"": {"policy": "read"}}}`},
		{"empty", ``, `{}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := Parse("rules.hcl", c.hcl)
			if err != nil {
				t.Fatalf("hcl: %v", err)
			}
			j, err := Parse("rules.json", c.json)
			if err != nil {
				t.Fatalf("json: %v", err)
			}
			strip(h)
			strip(j)
			sortRules(h)
			sortRules(j)
			if !reflect.DeepEqual(h, j) {
				t.Fatalf("hcl  %+v\njson %+v", h, j)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"unknown policy", "key \"a\" {\n  policy = \"read\"\n}\nservice \"web\" {\n    policy = \"wirte\"\n}",
			`rules:5:14: unknown policy "wirte"`},
		{"list outside keys", `service "web" { policy = "list" }`,
			`rules:1:26: policy "list" is not valid here (want read, write, deny)`},
		{"scale outside namespaces", `node "a" { policy = "scale" }`,
			`rules:1:21: policy "scale" is not valid here (want read, write, deny)`},
		{"unknown rule", "\n  servise \"web\" { policy = \"read\" }",
			`rules:2:3: unknown rule "servise"`},
		{"unknown field", `key "a" { polcy = "read" }`,
			`rules:1:11: unknown field "polcy" in key rule`},
		{"intentions on key", "key \"a\" {\n  intentions = \"read\"\n}",
			`rules:2:3: unknown field "intentions" in key rule`},
		{"missing policy", `key_prefix "a" { }`,
			`rules:1:1: key_prefix "a": missing policy`},
		{"no label", `key_prefix { policy = "read" }`,
			`rules:1:1: key_prefix rule needs exactly one label, the name it applies to`},
		{"two labels", `service "a" "b" { policy = "read" }`,
			`rules:1:1: service rule needs exactly one label, the name it applies to`},
		{"global as block", `acl { policy = "read" }`,
			`rules:1:1: acl rule must be an attribute: acl = "read"`},
		{"segmented as attribute", `key = "read"`,
			`rules:1:1: key rule must be a block`},
		{"global bad policy", `operator = "list"`,
			`rules:1:12: policy "list" is not valid here (want read, write, deny)`},
		{"not a literal", `acl = var.x`,
			`rules:1:7: value must be a literal string or list of strings`},
		{"policy not string", `key "a" { policy = ["read"] }`,
			`rules:1:20: policy must be a string`},
		{"namespace bad capability", `namespace "d" { capabilities = ["submit-jbo"] }`,
			`rules:1:32: unknown namespace capability "submit-jbo"`},
		{"namespace capabilities not list", `namespace "d" { capabilities = "read-job" }`,
			`rules:1:32: capabilities must be a list of strings`},
		{"namespace bad name", `namespace "a b" { policy = "read" }`,
			`rules:1:1: invalid namespace name "a b"`},
		{"namespace empty", `namespace "a" { }`,
			`rules:1:1: namespace "a": missing policy or capabilities`},
		{"namespace variables unsupported", `namespace "a" {
  policy = "read"
  variables { }
}`,
			`rules:3:3: unknown field "variables" in namespace rule (not supported)`},
		{"nomad node unknown field", `node { capabilities = ["x"] }`,
			`rules:1:8: unknown field "capabilities" in node rule`},
		{"nomad node no policy", `agent { }`,
			`rules:1:1: agent: missing policy`},
		{"host volume bad capability", `host_volume "a" { capabilities = ["mount"] }`,
			`rules:1:34: unknown host_volume capability "mount"`},
		{"json unknown policy", "{\n  \"key\": {\"a\": {\"policy\": \"wirte\"}}\n}",
			`rules:2:27: unknown policy "wirte"`},
		{"json unknown rule", "{\"servise\": {\"a\": {\"policy\": \"read\"}}}",
			`rules:1:2: unknown rule "servise"`},
		{"json label not object", `{"key": {"a": "read"}}`,
			`rules:1:15: rule key "a" must be an object`},
		{"several errors in order", "acl = \"x\"\nkey \"a\" { policy = \"y\" }",
			"rules:1:7: unknown policy \"x\"\nrules:2:20: unknown policy \"y\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("rules", c.src)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if err.Error() != c.want {
				t.Fatalf("got  %q\nwant %q", err.Error(), c.want)
			}
			if !errors.Is(err, ErrInvalidRules) {
				t.Fatalf("errors.Is(%v, ErrInvalidRules) = false", err)
			}
		})
	}
}

func TestParseSyntaxErrorsHavePositions(t *testing.T) {
	for _, src := range []string{"key \"a\" {", "{\"key\": ", "acl = \"read\" = "} {
		_, err := Parse("rules", src)
		var pe ParseErrors
		if !errors.As(err, &pe) || len(pe) == 0 || pe[0].Pos.Line == 0 {
			t.Errorf("Parse(%q) = %v, want a positioned ParseErrors", src, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`key_prefix "" { policy = "read" }`, `{"key": {"a": {"policy": "list"}}}`, `acl = "write"`,
		`namespace "*" { policy = "write" capabilities = ["alloc-exec"] }`, `node { policy = "read" }`,
		`{"node": {"policy": "read"}}`, `{"session": [{"a": {"policy": "write"}}]}`, `{`, `key "a" {`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := Parse("fuzz", src)
		if (r == nil) == (err == nil) {
			t.Fatalf("Parse(%q) = %v, %v: want exactly one of rules and error", src, r, err)
		}
		if r == nil {
			return
		}
		// Whatever parses compiles and decides without panicking.
		c := CompileRules("fuzz", DefaultDeny, r)
		for _, res := range []string{Key, Service, Node, ACL, Operator, Namespace, HostVolume, Job, Plugin} {
			c.Allowed(Rule{Resource: res, Segment: src, Access: Read})
			c.Allowed(Rule{Resource: res, Segment: "", Access: CapSubmitJob})
		}
		c.AllowedWritePrefix(Key, src)
	})
}
