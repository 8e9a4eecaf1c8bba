package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/acl"
)

func TestRenderACLObjects(t *testing.T) {
	created := time.Date(2026, 12, 3, 14, 0, 0, 0, time.UTC)
	expires := created.Add(24 * time.Hour)
	tests := []struct {
		name   string
		render func(*bytes.Buffer)
		want   string
	}{
		{"token", func(b *bytes.Buffer) {
			renderToken(b, &acl.Token{AccessorID: "a1", SecretID: "s1", Description: "web deploys", CreateTime: created,
				ExpirationTime: &expires, Policies: []acl.Link{{ID: "p1", Name: "kv-read"}}, Roles: []acl.Link{{ID: "r1", Name: "job-web"}},
				ServiceIdentities: []acl.ServiceIdentity{{ServiceName: "web"}, {ServiceName: "db", Datacenters: []string{"dc1", "dc2"}}}})
		}, `AccessorID:       a1
SecretID:         s1
Description:      web deploys
Local:            false
Create Time:      2026-12-03T14:00:00Z
Expiration Time:  2026-12-04T14:00:00Z
Policies:
   p1 - kv-read
Roles:
   r1 - job-web
Service Identities:
   web (Datacenters: all)
   db (Datacenters: dc1,dc2)
`},
		{"bare token: no empty sections", func(b *bytes.Buffer) {
			renderToken(b, &acl.Token{AccessorID: "a2", SecretID: "<hidden>", Local: true, CreateTime: created})
		}, `AccessorID:   a2
SecretID:     <hidden>
Description:  
Local:        true
Create Time:  2026-12-03T14:00:00Z
`},
		{"policy", func(b *bytes.Buffer) {
			renderPolicy(b, &acl.Policy{ID: "p1", Name: "kv-read", Description: "read app config", Rules: "key_prefix \"app/\" {\n  policy = \"read\"\n}\n"})
		}, `ID:           p1
Name:         kv-read
Description:  read app config
Datacenters:  all
Rules:
key_prefix "app/" {
  policy = "read"
}
`},
		{"role", func(b *bytes.Buffer) {
			renderRole(b, &acl.Role{ID: "r1", Name: "job-web", Policies: []acl.Link{{ID: "p1", Name: "kv-read"}}})
		}, `ID:           r1
Name:         job-web
Description:  
Policies:
   p1 - kv-read
`},
		{"token table", func(b *bytes.Buffer) {
			renderTokens(b, []acl.Token{
				{AccessorID: "a1", Description: "web deploys", Policies: []acl.Link{{ID: "p1", Name: "kv-read"}, {ID: "p2"}}, ExpirationTime: &expires},
				{AccessorID: "00000000-0000-0000-0000-000000000002", Description: "Anonymous Token", Local: false},
			})
		}, `AccessorID                            Description      Policies    Roles  Local  Expires
a1                                    web deploys      kv-read,p2  -      false  2026-12-04T14:00:00Z
00000000-0000-0000-0000-000000000002  Anonymous Token  -           -      false  never
`},
		{"policy table", func(b *bytes.Buffer) {
			renderPolicies(b, []acl.Policy{{ID: "p1", Name: "kv-read"}, {ID: "p2", Name: "dc2-only", Description: "x", Datacenters: []string{"dc2"}}})
		}, `ID  Name      Description  Datacenters
p1  kv-read   -            all
p2  dc2-only  x            dc2
`},
		{"role table", func(b *bytes.Buffer) {
			renderRoles(b, []acl.Role{{ID: "r1", Name: "job-web", Policies: []acl.Link{{Name: "kv-read"}},
				ServiceIdentities: []acl.ServiceIdentity{{ServiceName: "web"}, {ServiceName: "api"}}}})
		}, `ID  Name     Description  Policies  Service Identities
r1  job-web  -            kv-read   web,api
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			tt.render(&b)
			if got := b.String(); got != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestServiceIdentitiesAndRules(t *testing.T) {
	ids, err := serviceIdentities([]string{"web", "db:dc1, dc2"})
	if err != nil || len(ids) != 2 || ids[0].ServiceName != "web" || ids[0].Datacenters != nil ||
		ids[1].ServiceName != "db" || strings.Join(ids[1].Datacenters, "|") != "dc1|dc2" {
		t.Fatalf("serviceIdentities = %+v, %v", ids, err)
	}
	if _, err := serviceIdentities([]string{":dc1"}); err == nil {
		t.Fatal("a service identity without a name accepted")
	}
	e := &Env{Stdin: strings.NewReader("node_prefix \"\" { policy = \"read\" }")}
	if r, err := readRules(e, "-", ""); err != nil || !strings.HasPrefix(r, "node_prefix") {
		t.Fatalf("rules from stdin: %q %v", r, err)
	}
	if _, err := readRules(e, "x", "f"); err == nil {
		t.Fatal("-rules with -rules-file accepted")
	}
	if _, err := readRules(e, "@/nonexistent/rules.hcl", ""); err == nil || !strings.Contains(err.Error(), "read rules") {
		t.Fatalf("missing rules file: %v", err)
	}
}

// TestACLListOutputs runs the list and read commands against a server
// answering with Consul's JSON (as consul/api's acl.go documents it), to
// check the text and -format json output only; requests and their
// effects are tested against a real agent (acl_e2e_test.go).
func TestACLListOutputs(t *testing.T) {
	answers := map[string]string{
		"/v1/acl/tokens":            `[{"AccessorID":"a1","SecretID":"s1","Description":"ci","Policies":[{"ID":"p1","Name":"kv-read"}],"Local":false,"CreateTime":"2026-12-03T14:00:00Z","Hash":"aGFzaA==","CreateIndex":5,"ModifyIndex":5}]`,
		"/v1/acl/policies":          `[{"ID":"p1","Name":"kv-read","Description":"","Datacenters":null,"Hash":"aGFzaA==","CreateIndex":4,"ModifyIndex":4}]`,
		"/v1/acl/role/name/job-web": `{"ID":"r1","Name":"job-web","Description":"web","Policies":[{"ID":"p1","Name":"kv-read"}],"Hash":"aGFzaA==","CreateIndex":6,"ModifyIndex":6}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := answers[r.URL.Path]
		if !ok {
			http.Error(w, "ACL not found", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(a))
	}))
	defer srv.Close()
	tests := []struct {
		args []string
		code int
		out  string // stdout must contain it
		errs string // stderr must contain it
	}{
		{[]string{"token", "list"}, 0, "a1          ci           kv-read   -      false  never", ""},
		{[]string{"token", "list", "-format", "json"}, 0, "\"SecretID\": \"s1\"", ""},
		{[]string{"policy", "list"}, 0, "p1  kv-read  -            all", ""},
		{[]string{"role", "read", "-name", "job-web"}, 0, "Policies:\n   p1 - kv-read\n", ""},
		{[]string{"role", "read", "-name", "job-web", "-format", "json"}, 0, "\"CreateIndex\": 6", ""},
		{[]string{"token", "read", "-id", "00000000-0000-0000-0000-00000000000f"}, 1, "", "what was asked for does not exist"},
		{[]string{"token", "read"}, 1, "", "give the token with -id"},
		{[]string{"policy", "list", "-format", "yaml"}, 2, "", "want pretty or json"},
		{[]string{"policy", "list", "extra"}, 2, "", "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			e := &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string {
				if k == "ORBIT_ADDR" {
					return srv.URL
				}
				return ""
			}}
			code := runEnv(context.Background(), e, append([]string{"acl"}, tt.args...))
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.Contains(errb.String(), tt.errs) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out.String(), errb.String())
			}
		})
	}
}
