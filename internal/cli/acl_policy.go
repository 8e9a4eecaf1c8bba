package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/orbit/orbit/internal/acl"
)

func cmdACLPolicy(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "acl policy", args, map[string]func(context.Context, *Env, []string) int{
		"create": aclPolicyCreate,
		"read":   aclPolicyRead,
		"list":   aclPolicyList,
		"update": aclPolicyUpdate,
		"delete": aclPolicyDelete,
	})
}

// policyBody is a policy create or update request, in Consul's shape.
type policyBody struct {
	ID          string `json:",omitempty"`
	Name        string
	Description string
	Rules       string
	Datacenters []string `json:",omitempty"`
}

func renderPolicyValue(w io.Writer, p acl.Policy) { renderPolicy(w, &p) }

// rulesFlags registers -rules and -rules-file and returns the rules given
// and whether any was.
func rulesFlags(f *aclFlags, e *Env) func() (string, bool, error) {
	rules := f.fs.String("rules", "", "the policy's rules: the text, @FILE to read a file, or - to read stdin")
	file := f.fs.String("rules-file", "", "read the policy's rules from this `file`")
	return func() (string, bool, error) {
		if *rules == "" && *file == "" {
			return "", false, nil
		}
		r, err := readRules(e, *rules, *file)
		return r, true, err
	}
}

func aclPolicyCreate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "policy create")
	name := f.fs.String("name", "", "the policy's name (required)")
	desc := f.fs.String("description", "", "what the policy is for")
	var dcs multiFlag
	f.fs.Var(&dcs, "valid-datacenter", "a datacenter the policy is valid in (repeatable; default all)")
	rules := rulesFlags(f, e)
	if !f.parse(e, args) {
		return 2
	}
	if *name == "" {
		return fail(e, errUsage("give the policy a -name"))
	}
	r, _, err := rules()
	if err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, f.client(), "PUT", "/v1/acl/policy", policyBody{Name: *name, Description: *desc, Rules: r, Datacenters: dcs})
	if err != nil {
		return fail(e, fmt.Errorf("create policy %q: %w", *name, err))
	}
	return show(e, f, raw, renderPolicyValue)
}

// policyRef registers -id and -name, which name a policy, and returns a
// reader of the policy they name.
func policyRef(f *aclFlags) (id, name *string, read func(context.Context, *apiClient) (acl.Policy, []byte, error)) {
	id = f.fs.String("id", "", "the policy's ID (or a unique prefix of it)")
	name = f.fs.String("name", "", "the policy's name, instead of -id")
	return id, name, func(ctx context.Context, c *apiClient) (acl.Policy, []byte, error) {
		var p acl.Policy
		path := ""
		switch {
		case *id != "":
			full, err := expandID(ctx, c, "policy", "/v1/acl/policies", *id, func(p acl.Policy) string { return p.ID })
			if err != nil {
				return p, nil, err
			}
			path = "/v1/acl/policy/" + esc(full)
		case *name != "":
			path = "/v1/acl/policy/name/" + esc(*name)
		default:
			return p, nil, errUsage("give the policy with -id ID or -name NAME (`orbit acl policy list` shows them)")
		}
		raw, err := call(ctx, c, "GET", path, nil)
		if err != nil {
			return p, nil, err
		}
		return p, raw, json.Unmarshal(raw, &p)
	}
}

func aclPolicyRead(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "policy read")
	_, _, read := policyRef(f)
	if !f.parse(e, args) {
		return 2
	}
	_, raw, err := read(ctx, f.client())
	if err != nil {
		return fail(e, fmt.Errorf("read policy: %w", err))
	}
	return show(e, f, raw, renderPolicyValue)
}

func aclPolicyList(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "policy list")
	if !f.parse(e, args) {
		return 2
	}
	raw, err := call(ctx, f.client(), "GET", "/v1/acl/policies", nil)
	if err != nil {
		return fail(e, fmt.Errorf("list policies: %w", err))
	}
	return show(e, f, raw, renderPolicies)
}

// aclPolicyUpdate changes only what is given; with -id, -name renames.
func aclPolicyUpdate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "policy update")
	id, name, read := policyRef(f)
	desc := f.fs.String("description", "", "a new description")
	var dcs multiFlag
	f.fs.Var(&dcs, "valid-datacenter", "a datacenter the policy is valid in (repeatable; replaces the list)")
	rules := rulesFlags(f, e)
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	newName := ""
	if *id != "" {
		newName, *name = *name, ""
	}
	cur, _, err := read(ctx, c)
	if err != nil {
		return fail(e, fmt.Errorf("read policy to update it: %w", err))
	}
	body := policyBody{ID: cur.ID, Name: first(newName, cur.Name), Description: cur.Description, Rules: cur.Rules, Datacenters: cur.Datacenters}
	if f.set("description") {
		body.Description = *desc
	}
	if len(dcs) > 0 {
		body.Datacenters = dcs
	}
	r, given, err := rules()
	if err != nil {
		return fail(e, err)
	}
	if given {
		body.Rules = r
	}
	raw, err := call(ctx, c, "PUT", "/v1/acl/policy/"+esc(cur.ID), body)
	if err != nil {
		return fail(e, fmt.Errorf("update policy %q: %w", cur.Name, err))
	}
	return show(e, f, raw, renderPolicyValue)
}

func aclPolicyDelete(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "policy delete")
	_, _, read := policyRef(f)
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	p, _, err := read(ctx, c)
	if err != nil {
		return fail(e, fmt.Errorf("read policy to delete it: %w", err))
	}
	if _, err := c.do(ctx, "DELETE", "/v1/acl/policy/"+esc(p.ID), nil, nil); err != nil {
		return fail(e, fmt.Errorf("delete policy %q: %w", p.Name, err))
	}
	fmt.Fprintf(e.Stdout, "Policy %q deleted successfully\n", p.Name)
	return 0
}
