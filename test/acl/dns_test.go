package acl_test

import (
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	capi "github.com/hashicorp/consul/api"
	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/orbittest"
)

// TestDNSAnswersWithAnonymousRights: with ACLs on, DNS answers only the
// services and nodes the anonymous token may read; granting it a policy
// opens exactly those names, as Consul's DNS.
func TestDNSAnswersWithAnonymousRights(t *testing.T) {
	a := aclAgent(t)
	root := consulClient(t, a.Addr, rootToken)
	for _, name := range []string{"web", "secret"} {
		if err := root.Agent().ServiceRegister(&capi.AgentServiceRegistration{Name: name, Port: 8080, Address: "127.0.0.7"}); err != nil {
			t.Fatal(err)
		}
	}
	server := a.DNSAddr().String()
	query := func(name string) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeA)
		r, _, err := (&dns.Client{Net: "tcp", Timeout: 5 * time.Second}).Exchange(m, server)
		if err != nil {
			t.Fatalf("query %s: %v", name, err)
		}
		return r
	}
	answered := func(name string) bool {
		r := query(name)
		return r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0
	}
	// Default deny: the anonymous token reads nothing, so nothing answers.
	for _, name := range []string{"web.service.consul", "secret.service.consul", "node1.node.consul"} {
		if r := query(name); r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
			t.Fatalf("%s under default deny: %s", name, r)
		}
	}
	pol, _, err := root.ACL().PolicyCreate(&capi.ACLPolicy{Name: "dns", Rules: `service "web" { policy = "read" }
node_prefix "" { policy = "read" }`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	anon, _, err := root.ACL().TokenRead(acl.AnonymousTokenID, nil)
	if err != nil {
		t.Fatal(err)
	}
	anon.Policies = []*capi.ACLTokenPolicyLink{{ID: pol.ID}}
	if _, _, err := root.ACL().TokenUpdate(anon, nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "web answers", func() bool { return answered("web.service.consul") })
	if !answered("node1.node.consul") {
		t.Fatalf("node1.node.consul: %s", query("node1.node.consul"))
	}
	if r := query("secret.service.consul"); r.Rcode != dns.RcodeNameError || len(r.Answer) != 0 {
		t.Fatalf("secret.service.consul with a policy for web only: %s", r)
	}
	// Taking the policy away closes web again.
	anon, _, _ = root.ACL().TokenRead(acl.AnonymousTokenID, nil)
	anon.Policies = nil
	if _, _, err := root.ACL().TokenUpdate(anon, nil); err != nil {
		t.Fatal(err)
	}
	orbittest.Eventually(t, 30*time.Second, "web no longer answers", func() bool { return !answered("web.service.consul") })
}

// TestDNSReverseFollowsACL: a PTR names a node only when the anonymous
// token may read it, as the node's forward name (asked with dig -x).
func TestDNSReverseFollowsACL(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Skip("dig not installed (Debian package dnsutils)")
	}
	a := aclAgent(t)
	root := consulClient(t, a.Addr, rootToken)
	if _, err := root.Catalog().Register(&capi.CatalogRegistration{Node: "rev-node", Address: "127.0.0.41"}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := root.Catalog().Register(&capi.CatalogRegistration{Node: "seen-node", Address: "127.0.0.42"}, nil); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(a.DNSAddr().String())
	reverse := func(ip string) string {
		out, err := exec.Command(dig, "@"+host, "-p", port, "+time=5", "+tries=1", "+tcp", "+short", "-x", ip).CombinedOutput()
		if err != nil {
			t.Fatalf("dig -x %s: %v\n%s", ip, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	setAnonymous := func(name, rules string) {
		anon, _, err := root.ACL().TokenRead(acl.AnonymousTokenID, nil)
		if err != nil {
			t.Fatal(err)
		}
		anon.Policies = nil
		if rules != "" {
			pol, _, err := root.ACL().PolicyCreate(&capi.ACLPolicy{Name: name, Rules: rules}, nil)
			if err != nil {
				t.Fatal(err)
			}
			anon.Policies = []*capi.ACLTokenPolicyLink{{ID: pol.ID}}
		}
		if _, _, err := root.ACL().TokenUpdate(anon, nil); err != nil {
			t.Fatal(err)
		}
	}
	const rev, seen = "rev-node.node.dc1.consul.", "seen-node.node.dc1.consul."
	// Default deny: no reverse name answers.
	for _, ip := range []string{"127.0.0.41", "127.0.0.42"} {
		if out := reverse(ip); out != "" {
			t.Fatalf("dig -x %s under default deny: %q", ip, out)
		}
	}
	// Reading seen-node opens its PTR, not rev-node's.
	setAnonymous("seen", `node "seen-node" { policy = "read" }`)
	orbittest.Eventually(t, 30*time.Second, "seen-node's PTR answers", func() bool { return reverse("127.0.0.42") == seen })
	if out := reverse("127.0.0.41"); out != "" {
		t.Fatalf("dig -x 127.0.0.41 with only seen-node readable: %q", out)
	}
	// node:read on rev-node answers; taking it away closes it again.
	setAnonymous("rev", `node "rev-node" { policy = "read" }`)
	orbittest.Eventually(t, 30*time.Second, "rev-node's PTR answers", func() bool { return reverse("127.0.0.41") == rev })
	setAnonymous("", "")
	orbittest.Eventually(t, 30*time.Second, "rev-node's PTR no longer answers", func() bool { return reverse("127.0.0.41") == "" })
}
