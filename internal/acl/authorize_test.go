package acl

import (
	"errors"
	"fmt"
	"testing"
)

// decide compiles policies (rules texts) for a token and asks one rule.
func decide(t *testing.T, def Default, rules []string, r Rule) bool {
	t.Helper()
	ps := make([]Policy, len(rules))
	for i, s := range rules {
		ps[i] = Policy{ID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("p%d", i), Rules: s}
	}
	c, err := Compile("acc", def, ps...)
	if err != nil {
		t.Fatal(err)
	}
	return c.Allowed(r)
}

type decision struct {
	name  string
	def   Default
	rules []string
	rule  Rule
	want  bool
}

func runDecisions(t *testing.T, cases []decision) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			def := c.def
			if def == "" {
				def = DefaultDeny
			}
			if got := decide(t, def, c.rules, c.rule); got != c.want {
				t.Fatalf("Allowed(%v) under %s with %q = %v, want %v", c.rule, def, c.rules, got, c.want)
			}
		})
	}
}

func key(seg string, a Access) Rule  { return Rule{Resource: Key, Segment: seg, Access: a} }
func svc(seg string, a Access) Rule  { return Rule{Resource: Service, Segment: seg, Access: a} }
func node(seg string, a Access) Rule { return Rule{Resource: Node, Segment: seg, Access: a} }

func TestPrecedenceExactBeatsPrefix(t *testing.T) {
	runDecisions(t, []decision{
		{"exact deny beats prefix write", "", []string{`key_prefix "foo" { policy = "write" }
key "foo" { policy = "deny" }`}, key("foo", Read), false},
		{"exact write beats prefix deny", "", []string{`key_prefix "foo" { policy = "deny" }
key "foo" { policy = "write" }`}, key("foo", Write), true},
		{"exact read beats prefix write (no write)", "", []string{`key_prefix "" { policy = "write" }
key "foo" { policy = "read" }`}, key("foo", Write), false},
		{"exact applies only to the exact segment", "", []string{`key_prefix "" { policy = "write" }
key "foo" { policy = "deny" }`}, key("foobar", Write), true},
		{"exact does not act as a prefix", "", []string{`key "foo" { policy = "write" }`}, key("foo/bar", Read), false},
		{"exact in another policy beats prefix", "", []string{`service_prefix "" { policy = "write" }`,
			`service "db" { policy = "read" }`}, svc("db", Write), false},
		{"exact beats longer prefix too", "", []string{`node_prefix "web-1" { policy = "write" }
node "web-1" { policy = "read" }`}, node("web-1", Write), false},
		{"exact empty segment is exact", "", []string{`key "" { policy = "write" }`}, key("a", Read), false},
		{"exact empty segment matches empty request", "", []string{`key "" { policy = "write" }`}, key("", Write), true},
	})
}

func TestPrecedenceLongestPrefix(t *testing.T) {
	three := []string{`key_prefix "" { policy = "read" }
key_prefix "foo/" { policy = "write" }
key_prefix "foo/private/" { policy = "deny" }`}
	runDecisions(t, []decision{
		{"root prefix reads", "", three, key("bar", Read), true},
		{"root prefix does not write", "", three, key("bar", Write), false},
		{"middle prefix writes", "", three, key("foo/x", Write), true},
		{"deepest prefix denies", "", three, key("foo/private/x", Read), false},
		{"deepest prefix denies its own key", "", three, key("foo/private/", Read), false},
		{"prefix is not path-aware", "", three, key("foo/privateer", Write), true},
		{"shorter than prefix falls back", "", three, key("foo", Write), false},
		{"longer prefix read beats shorter write", "", []string{`service_prefix "" { policy = "write" }
service_prefix "web" { policy = "read" }`}, svc("web-1", Write), false},
		{"longest across policies", "", []string{`service_prefix "w" { policy = "deny" }`,
			`service_prefix "we" { policy = "write" }`}, svc("web", Write), true},
		{"order of rules does not matter", "", []string{`key_prefix "foo/private/" { policy = "deny" }
key_prefix "foo/" { policy = "write" }`}, key("foo/private/k", Read), false},
		{"empty prefix matches all", "", []string{`node_prefix "" { policy = "read" }`}, node("anything", Read), true},
		{"empty prefix matches empty segment", "", []string{`node_prefix "" { policy = "read" }`}, node("", Read), true},
		{"empty prefix deny under default allow", DefaultAllow, []string{`service_prefix "" { policy = "deny" }`}, svc("x", Read), false},
	})
}

func TestPrecedenceDenyAtEqualSpecificity(t *testing.T) {
	runDecisions(t, []decision{
		{"deny wins over write, same exact, two policies", "", []string{`key "k" { policy = "write" }`, `key "k" { policy = "deny" }`}, key("k", Read), false},
		{"deny wins over write, same prefix, two policies", "", []string{`key_prefix "a" { policy = "deny" }`, `key_prefix "a" { policy = "write" }`}, key("ab", Read), false},
		{"deny wins in one policy", "", []string{`service "s" { policy = "write" }
service "s" { policy = "deny" }`}, svc("s", Read), false},
		{"write wins over read at equal specificity", "", []string{`key "k" { policy = "read" }`, `key "k" { policy = "write" }`}, key("k", Write), true},
		{"list wins over read at equal specificity", "", []string{`key_prefix "k" { policy = "read" }`, `key_prefix "k" { policy = "list" }`}, key("k", List), true},
		{"write wins over list at equal specificity", "", []string{`key_prefix "k" { policy = "list" }`, `key_prefix "k" { policy = "write" }`}, key("k", Write), true},
		{"global deny wins", "", []string{`operator = "write"`, `operator = "deny"`}, Rule{Resource: Operator, Access: Read}, false},
		{"global write wins over read", "", []string{`acl = "read"`, `acl = "write"`}, Rule{Resource: ACL, Access: Write}, true},
		{"exact deny and prefix write differ in specificity", "", []string{`key "k" { policy = "deny" }`, `key_prefix "k" { policy = "write" }`}, key("k2", Write), true},
	})
}

func TestDefaultPolicyFallback(t *testing.T) {
	runDecisions(t, []decision{
		{"no rules, deny", DefaultDeny, nil, key("a", Read), false},
		{"no rules, allow read", DefaultAllow, nil, key("a", Read), true},
		{"no rules, allow write", DefaultAllow, nil, svc("a", Write), true},
		{"unmatched exact falls back to allow", DefaultAllow, []string{`key "a" { policy = "deny" }`}, key("b", Write), true},
		{"unmatched prefix falls back to deny", DefaultDeny, []string{`key_prefix "a" { policy = "write" }`}, key("b", Read), false},
		{"other resource falls back", DefaultAllow, []string{`key_prefix "" { policy = "deny" }`}, svc("s", Write), true},
		{"global unset falls back to allow", DefaultAllow, nil, Rule{Resource: Operator, Access: Write}, true},
		{"global unset falls back to deny", DefaultDeny, nil, Rule{Resource: Keyring, Access: Read}, false},
		{"acl never allowed by default allow", DefaultAllow, nil, Rule{Resource: ACL, Access: Read}, false},
		{"acl rule under default allow", DefaultAllow, []string{`acl = "read"`}, Rule{Resource: ACL, Access: Read}, true},
		{"matched read rule under default allow does not write", DefaultAllow, []string{`key_prefix "" { policy = "read" }`}, key("a", Write), false},
		{"unknown resource under allow", DefaultAllow, nil, Rule{Resource: "thing", Access: Read}, true},
		{"unknown resource under deny", DefaultDeny, []string{`key_prefix "" { policy = "write" }`}, Rule{Resource: "thing", Access: Read}, false},
	})
}

func TestAccessLevels(t *testing.T) {
	levels := []Disposition{PolicyDeny, PolicyRead, PolicyList, PolicyWrite}
	want := map[Disposition]map[Access]bool{
		PolicyDeny:  {Read: false, List: false, Write: false},
		PolicyRead:  {Read: true, List: false, Write: false},
		PolicyList:  {Read: true, List: true, Write: false},
		PolicyWrite: {Read: true, List: true, Write: true},
	}
	for _, d := range levels {
		for _, a := range []Access{Read, List, Write} {
			for _, form := range []string{`key "k" { policy = "%s" }`, `key_prefix "k" { policy = "%s" }`} {
				rules := fmt.Sprintf(form, d)
				for _, def := range []Default{DefaultAllow, DefaultDeny} {
					if got := decide(t, def, []string{rules}, key("k", a)); got != want[d][a] {
						t.Errorf("%s under %s: %s = %v, want %v", rules, def, a, got, want[d][a])
					}
				}
			}
		}
	}
	// Write implies read on every segmented resource; read never writes.
	for _, res := range segmented {
		for _, form := range []string{`%s "x" { policy = "write" }`, `%s_prefix "" { policy = "write" }`} {
			rules := fmt.Sprintf(form, res)
			if !decide(t, DefaultDeny, []string{rules}, Rule{Resource: res, Segment: "x", Access: Read}) {
				t.Errorf("%s: write does not imply read", rules)
			}
		}
		rules := fmt.Sprintf(`%s "x" { policy = "read" }`, res)
		if decide(t, DefaultAllow, []string{rules}, Rule{Resource: res, Segment: "x", Access: Write}) {
			t.Errorf("%s: read grants write", rules)
		}
	}
	for _, res := range globals {
		rules := fmt.Sprintf(`%s = "write"`, res)
		if !decide(t, DefaultDeny, []string{rules}, Rule{Resource: res, Access: Read}) {
			t.Errorf("%s: write does not imply read", rules)
		}
		rules = fmt.Sprintf(`%s = "read"`, res)
		if decide(t, DefaultDeny, []string{rules}, Rule{Resource: res, Access: Write}) {
			t.Errorf("%s: read grants write", rules)
		}
	}
}

func TestIntentions(t *testing.T) {
	in := func(seg string, a Access) Rule { return Rule{Resource: Intention, Segment: seg, Access: a} }
	runDecisions(t, []decision{
		{"explicit intentions write", "", []string{"service \"web\" {\n  policy = \"read\"\n  intentions = \"write\"\n}"}, in("web", Write), true},
		{"service write defaults intentions to read", "", []string{`service "web" { policy = "write" }`}, in("web", Read), true},
		{"service write does not write intentions", "", []string{`service "web" { policy = "write" }`}, in("web", Write), false},
		{"service deny denies intentions", DefaultAllow, []string{`service "web" { policy = "deny" }`}, in("web", Read), false},
		{"intentions deny with service write", "", []string{"service_prefix \"\" {\n  policy = \"write\"\n  intentions = \"deny\"\n}"}, in("x", Read), false},
		{"intentions prefix", "", []string{"service_prefix \"w\" {\n  policy = \"read\"\n  intentions = \"write\"\n}"}, in("web", Write), true},
	})
}

func TestNomadRules(t *testing.T) {
	ns := func(name string, c Access) Rule { return Rule{Resource: Namespace, Segment: name, Access: c} }
	runDecisions(t, []decision{
		{"read policy lists jobs", "", []string{`namespace "default" { policy = "read" }`}, ns("default", CapListJobs), true},
		{"read policy reads jobs", "", []string{`namespace "default" { policy = "read" }`}, ns("default", CapReadJob), true},
		{"read policy does not submit", "", []string{`namespace "default" { policy = "read" }`}, ns("default", CapSubmitJob), false},
		{"read policy does not read logs", "", []string{`namespace "default" { policy = "read" }`}, ns("default", CapReadLogs), false},
		{"write policy submits", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapSubmitJob), true},
		{"write policy dispatches", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapDispatchJob), true},
		{"write policy reads logs", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapReadLogs), true},
		{"write policy execs", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapAllocExec), true},
		{"write policy keeps read", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapListJobs), true},
		{"write policy lacks node exec", "", []string{`namespace "default" { policy = "write" }`}, ns("default", CapAllocNodeExec), false},
		{"scale policy scales", "", []string{`namespace "default" { policy = "scale" }`}, ns("default", CapScaleJob), true},
		{"scale policy reads job", "", []string{`namespace "default" { policy = "scale" }`}, ns("default", CapReadJob), true},
		{"scale policy does not list jobs", "", []string{`namespace "default" { policy = "scale" }`}, ns("default", CapListJobs), false},
		{"capability added to policy", "", []string{"namespace \"d\" {\n  policy = \"read\"\n  capabilities = [\"read-logs\"]\n}"}, ns("d", CapReadLogs), true},
		{"capabilities alone", "", []string{`namespace "d" { capabilities = ["submit-job"] }`}, ns("d", CapSubmitJob), true},
		{"capabilities alone grant nothing else", "", []string{`namespace "d" { capabilities = ["submit-job"] }`}, ns("d", CapReadJob), false},
		{"deny capability overrides policy", "", []string{"namespace \"d\" {\n  policy = \"write\"\n  capabilities = [\"deny\"]\n}"}, ns("d", CapReadJob), false},
		{"deny policy in another token policy wins", "", []string{`namespace "d" { policy = "write" }`, `namespace "d" { policy = "deny" }`}, ns("d", CapListJobs), false},
		{"capabilities union across policies", "", []string{`namespace "d" { capabilities = ["read-logs"] }`, `namespace "d" { capabilities = ["read-fs"] }`}, ns("d", CapReadLogs), true},
		{"implied host volume capabilities", "", []string{`namespace "d" { capabilities = ["host-volume-write"] }`}, ns("d", CapHostVolumeCreate), true},
		{"other namespace falls back to deny", "", []string{`namespace "default" { policy = "write" }`}, ns("prod", CapReadJob), false},
		{"other namespace falls back to allow", DefaultAllow, []string{`namespace "default" { policy = "read" }`}, ns("prod", CapSubmitJob), true},
		{"matched namespace does not fall back to allow", DefaultAllow, []string{`namespace "default" { policy = "read" }`}, ns("default", CapSubmitJob), false},
		{"glob matches", "", []string{`namespace "prod-*" { policy = "read" }`}, ns("prod-eu", CapReadJob), true},
		{"glob does not match", "", []string{`namespace "prod-*" { policy = "read" }`}, ns("dev-eu", CapReadJob), false},
		{"star matches all", "", []string{`namespace "*" { policy = "read" }`}, ns("anything", CapListJobs), true},
		{"exact beats glob", "", []string{`namespace "*" { policy = "write" }
namespace "prod" { policy = "read" }`}, ns("prod", CapSubmitJob), false},
		{"closest glob wins", "", []string{`namespace "*" { policy = "deny" }
namespace "prod-*" { policy = "write" }`}, ns("prod-eu", CapSubmitJob), true},
		{"closest glob wins over a looser write", "", []string{`namespace "p*" { policy = "write" }
namespace "prod-*" { policy = "read" }`}, ns("prod-eu", CapSubmitJob), false},
		{"equally close globs merge, deny wins", "", []string{`namespace "a*" { policy = "write" }
namespace "*b" { policy = "deny" }`}, ns("ab", CapReadJob), false},
		{"equally close globs union", "", []string{`namespace "a*" { capabilities = ["read-job"] }
namespace "*b" { capabilities = ["submit-job"] }`}, ns("ab", CapSubmitJob), true},
		{"job read maps to read-job in default", "", []string{`namespace "default" { policy = "read" }`}, Rule{Resource: Job, Access: Read}, true},
		{"job write maps to submit-job", "", []string{`namespace "default" { policy = "read" }`}, Rule{Resource: Job, Access: Write}, false},
		{"job write in named namespace", "", []string{`namespace "prod" { policy = "write" }`}, Rule{Resource: Job, Segment: "prod", Access: Write}, true},
		{"job list maps to list-jobs", "", []string{`namespace "default" { capabilities = ["list-jobs"] }`}, Rule{Resource: Job, Access: List}, true},
		{"nomad node block covers every node", "", []string{`node { policy = "write" }`}, node("any", Write), true},
		{"consul exact node beats nomad node block", "", []string{`node { policy = "write" }
node "db" { policy = "read" }`}, node("db", Write), false},
		{"nomad agent block", "", []string{`agent { policy = "read" }`}, Rule{Resource: Agent, Segment: "n1", Access: Read}, true},
		{"nomad operator block is consul operator", "", []string{`operator { policy = "read" }`}, Rule{Resource: Operator, Access: Read}, true},
		{"nomad operator block and attribute merge, deny wins", "", []string{`operator { policy = "write" }
operator = "deny"`}, Rule{Resource: Operator, Access: Read}, false},
		{"plugin list lists", "", []string{`plugin { policy = "list" }`}, Rule{Resource: Plugin, Access: List}, true},
		{"plugin list does not read", "", []string{`plugin { policy = "list" }`}, Rule{Resource: Plugin, Access: Read}, false},
		{"quota read", "", []string{`quota { policy = "read" }`}, Rule{Resource: Quota, Access: Read}, true},
		{"host volume read mounts read-only", "", []string{`host_volume "ca" { policy = "read" }`}, Rule{Resource: HostVolume, Segment: "ca", Access: CapMountReadOnly}, true},
		{"host volume read does not mount read-write", "", []string{`host_volume "ca" { policy = "read" }`}, Rule{Resource: HostVolume, Segment: "ca", Access: CapMountReadWrite}, false},
		{"host volume glob write", "", []string{`host_volume "*" { policy = "write" }`}, Rule{Resource: HostVolume, Segment: "data", Access: CapMountReadWrite}, true},
		{"dns is operator", "", []string{`operator = "write"`}, Rule{Resource: DNS, Access: Write}, true},
		{"dns read under operator read", "", []string{`operator = "read"`}, Rule{Resource: DNS, Access: Write}, false},
		{"consul and nomad rules in one document", "", []string{`key_prefix "jobs/web/" { policy = "read" }
namespace "default" { policy = "write" }`}, key("jobs/web/config", Read), true},
	})
}

func TestBuiltins(t *testing.T) {
	for _, p := range Builtins() {
		if _, err := Parse(p.Name, p.Rules); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
	}
	mgmt, err := Compile("root", DefaultDeny, GlobalManagement())
	if err != nil {
		t.Fatal(err)
	}
	ro, err := Compile("reader", DefaultDeny, GlobalReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	all := []Rule{
		key("a", Write), key("a", List), svc("s", Write), node("n", Write), {Resource: Agent, Segment: "n", Access: Write},
		{Resource: Session, Segment: "x", Access: Write}, {Resource: Event, Segment: "e", Access: Write},
		{Resource: Query, Segment: "q", Access: Write}, {Resource: ACL, Access: Write}, {Resource: Operator, Access: Write},
		{Resource: Keyring, Access: Write}, {Resource: Mesh, Access: Write}, {Resource: Peering, Access: Write},
		{Resource: Intention, Segment: "s", Access: Write}, {Resource: Job, Access: Write},
		{Resource: Namespace, Segment: "any", Access: CapAllocNodeExec}, {Resource: DNS, Access: Write},
	}
	for _, r := range all {
		if !mgmt.Allowed(r) {
			t.Errorf("global-management denies %v", r)
		}
		if ro.Allowed(r) {
			t.Errorf("global-read-only allows %v", r)
		}
		read := r
		if read.Resource == Namespace {
			read.Access = CapReadJob
		} else {
			read.Access = Read
		}
		if !ro.Allowed(read) {
			t.Errorf("global-read-only denies %v", read)
		}
	}
	if ro.Allowed(key("a", List)) {
		t.Errorf("global-read-only allows key list (Consul's read does not list)")
	}
	// The management shortcut is by policy ID: the same rules under
	// another ID are just rules.
	copyRules := GlobalManagement()
	copyRules.ID = "other"
	c, err := Compile("x", DefaultDeny, copyRules)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Allowed(key("a", Write)) || c.Allowed(Rule{Resource: "unknown", Access: Read}) {
		t.Errorf("management rules under another ID: want rule-based decisions")
	}
}

func TestDeniedMessages(t *testing.T) {
	cases := []struct {
		accessor string
		rule     Rule
		want     string
	}{
		{"6a1253d2-1785-24fd-91c2-f8e78c745511", key("foo", Read),
			`Permission denied: token with AccessorID '6a1253d2-1785-24fd-91c2-f8e78c745511' lacks permission 'key:read' on "foo"`},
		{"6a1253d2-1785-24fd-91c2-f8e78c745511", Rule{Resource: Operator, Access: Write},
			`Permission denied: token with AccessorID '6a1253d2-1785-24fd-91c2-f8e78c745511' lacks permission 'operator:write'`},
		{AnonymousTokenID, Rule{Resource: ACL, Access: Read},
			`Permission denied: anonymous token lacks permission 'acl:read'. The anonymous token is used implicitly when a request does not specify a token.`},
		{AnonymousTokenID, node("fenn", Write),
			`Permission denied: anonymous token lacks permission 'node:write' on "fenn". The anonymous token is used implicitly when a request does not specify a token.`},
		{"a", Rule{Resource: Namespace, Segment: "default", Access: CapSubmitJob},
			`Permission denied: token with AccessorID 'a' lacks permission 'namespace:submit-job' on "default"`},
	}
	for _, c := range cases {
		comp := CompileRules(c.accessor, DefaultDeny)
		err := comp.Check(c.rule)
		if err == nil {
			t.Fatalf("Check(%v) = nil under default deny", c.rule)
		}
		if err.Error() != c.want {
			t.Errorf("got  %s\nwant %s", err, c.want)
		}
		if !errors.Is(err, ErrDenied) {
			t.Errorf("errors.Is(%v, ErrDenied) = false", err)
		}
	}
	if err := CompileRules("a", DefaultAllow).Check(key("k", Write)); err != nil {
		t.Errorf("Check under default allow = %v", err)
	}
}

func TestCompileRejectsBadPolicy(t *testing.T) {
	_, err := Compile("a", DefaultDeny, Policy{ID: "1", Name: "ops", Rules: `key "a" { policy = "wirte" }`})
	if err == nil || !errors.Is(err, ErrInvalidRules) || err.Error() != `policy "ops": ops:1:20: unknown policy "wirte"` {
		t.Fatalf("Compile = %v", err)
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "a", true}, {"a*", "abc", true}, {"a*", "ba", false},
		{"*c", "abc", true}, {"*c", "abd", false}, {"a*c", "abbbc", true}, {"a*c", "ac", true}, {"a*c", "acb", false},
		{"a*b*c", "axbyc", true}, {"a*b*c", "axbyd", false}, {"**", "x", true}, {"abc", "abc", true}, {"abc", "abcd", false},
		{"a*/x", "a/b/x", true},
	}
	for _, c := range cases {
		if got := glob(c.pattern, c.name); got != c.want {
			t.Errorf("glob(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func BenchmarkAllowed(b *testing.B) {
	c, err := Compile("a", DefaultDeny, Policy{ID: "p", Rules: `key_prefix "" { policy = "read" }
key_prefix "app/" { policy = "write" }
key_prefix "app/private/" { policy = "deny" }
service_prefix "" { policy = "read" }
service "web" { policy = "write" }
namespace "*" { policy = "read" }
namespace "prod-*" { policy = "write" }`})
	if err != nil {
		b.Fatal(err)
	}
	rules := []Rule{key("app/private/x", Read), svc("web", Write), svc("db", Read),
		{Resource: Namespace, Segment: "prod-eu", Access: CapSubmitJob}, {Resource: Job, Access: Read}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Allowed(rules[i%len(rules)])
	}
}
