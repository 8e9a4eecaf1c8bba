package cli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/orbit/orbit/internal/acl"
)

func cmdACLToken(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "acl token", args, map[string]func(context.Context, *Env, []string) int{
		"create": aclTokenCreate,
		"read":   aclTokenRead,
		"list":   aclTokenList,
		"update": aclTokenUpdate,
		"delete": aclTokenDelete,
		"clone":  aclTokenClone,
	})
}

// tokenBody is a token create or update request, in Consul's shape.
type tokenBody struct {
	AccessorID        string `json:",omitempty"`
	SecretID          string `json:",omitempty"`
	Description       string
	Policies          []acl.Link
	Roles             []acl.Link
	ServiceIdentities []acl.ServiceIdentity
	Local             bool
	ExpirationTTL     time.Duration `json:",omitempty"`
	ExpirationTime    *time.Time    `json:",omitempty"`
}

// linkFlags are -policy-id, -policy-name, -role-id, -role-name and
// -service-identity, with their -append- forms where asked.
type linkFlags struct {
	policyIDs, policyNames, roleIDs, roleNames, identities multiFlag
	appendPolicyIDs, appendPolicyNames                     multiFlag
	appendRoleIDs, appendRoleNames, appendIdentities       multiFlag
}

func (l *linkFlags) register(f *aclFlags, roles, appends bool) {
	f.fs.Var(&l.policyIDs, "policy-id", "ID of a policy to link (repeatable)")
	f.fs.Var(&l.policyNames, "policy-name", "name of a policy to link (repeatable)")
	f.fs.Var(&l.identities, "service-identity", "a service identity NAME or NAME:DC1,DC2 (repeatable)")
	if roles {
		f.fs.Var(&l.roleIDs, "role-id", "ID of a role to link (repeatable)")
		f.fs.Var(&l.roleNames, "role-name", "name of a role to link (repeatable)")
	}
	if !appends {
		return
	}
	f.fs.Var(&l.appendPolicyIDs, "append-policy-id", "ID of a policy to add to the linked ones (repeatable)")
	f.fs.Var(&l.appendPolicyNames, "append-policy-name", "name of a policy to add to the linked ones (repeatable)")
	f.fs.Var(&l.appendIdentities, "append-service-identity", "a service identity to add (repeatable)")
	if roles {
		f.fs.Var(&l.appendRoleIDs, "append-role-id", "ID of a role to add to the linked ones (repeatable)")
		f.fs.Var(&l.appendRoleNames, "append-role-name", "name of a role to add to the linked ones (repeatable)")
	}
}

// apply sets the links of an object being updated: a kind given with the
// plain flags replaces the current links, the -append- flags add to them,
// and a kind given with neither is kept.
func (l *linkFlags) apply(policies, roles *[]acl.Link, ids *[]acl.ServiceIdentity) error {
	merge := func(cur *[]acl.Link, ids, names, addIDs, addNames []string) {
		if cur == nil {
			return
		}
		if len(ids)+len(names) > 0 {
			*cur = links(ids, names)
		}
		*cur = append(*cur, links(addIDs, addNames)...)
	}
	merge(policies, l.policyIDs, l.policyNames, l.appendPolicyIDs, l.appendPolicyNames)
	merge(roles, l.roleIDs, l.roleNames, l.appendRoleIDs, l.appendRoleNames)
	set, err := serviceIdentities(l.identities)
	if err != nil {
		return err
	}
	add, err := serviceIdentities(l.appendIdentities)
	if err != nil {
		return err
	}
	if len(set) > 0 {
		*ids = set
	}
	*ids = append(*ids, add...)
	return nil
}

func aclTokenCreate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token create")
	var lf linkFlags
	lf.register(f, true, false)
	desc := f.fs.String("description", "", "what the token is for")
	local := f.fs.Bool("local", false, "a token valid in this datacenter only")
	ttl := f.fs.Duration("expires-ttl", 0, "the token expires after this `duration` (e.g. 24h); default never")
	accessor := f.fs.String("accessor", "", "the AccessorID to give the token (a UUID; default a new one)")
	secret := f.fs.String("secret", "", "the SecretID to give the token (a UUID; default a new one)")
	if !f.parse(e, args) {
		return 2
	}
	body := tokenBody{AccessorID: *accessor, SecretID: *secret, Description: *desc, Local: *local, ExpirationTTL: *ttl}
	if err := lf.apply(&body.Policies, &body.Roles, &body.ServiceIdentities); err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, f.client(), "PUT", "/v1/acl/token", body)
	if err != nil {
		return fail(e, fmt.Errorf("create token: %w", err))
	}
	return show(e, f, raw, renderTokenValue)
}

func renderTokenValue(w io.Writer, t acl.Token) { renderToken(w, &t) }

// tokenID registers -id and -accessor-id (the same) and returns the ID
// given, a unique prefix expanded.
func tokenID(f *aclFlags) func(context.Context, *apiClient) (string, error) {
	id := f.fs.String("id", "", "the token's AccessorID (or a unique prefix of it)")
	f.fs.StringVar(id, "accessor-id", "", "the same as -id")
	return func(ctx context.Context, c *apiClient) (string, error) {
		if *id == "" {
			return "", errUsage("give the token with -id ACCESSOR_ID (`orbit acl token list` shows them)")
		}
		return expandID(ctx, c, "token", "/v1/acl/tokens", *id, func(t acl.Token) string { return t.AccessorID })
	}
}

func aclTokenRead(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token read")
	id := tokenID(f)
	self := f.fs.Bool("self", false, "read the token the command runs with")
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	path := "/v1/acl/token/self"
	if !*self {
		a, err := id(ctx, c)
		if err != nil {
			return fail(e, err)
		}
		path = "/v1/acl/token/" + esc(a)
	}
	raw, err := call(ctx, c, "GET", path, nil)
	if err != nil {
		return fail(e, fmt.Errorf("read token: %w", err))
	}
	return show(e, f, raw, renderTokenValue)
}

func aclTokenList(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token list")
	if !f.parse(e, args) {
		return 2
	}
	raw, err := call(ctx, f.client(), "GET", "/v1/acl/tokens", nil)
	if err != nil {
		return fail(e, fmt.Errorf("list tokens: %w", err))
	}
	return show(e, f, raw, renderTokens)
}

func aclTokenUpdate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token update")
	id := tokenID(f)
	var lf linkFlags
	lf.register(f, true, true)
	desc := f.fs.String("description", "", "a new description")
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	a, err := id(ctx, c)
	if err != nil {
		return fail(e, err)
	}
	var cur acl.Token
	if _, err := c.do(ctx, "GET", "/v1/acl/token/"+esc(a), nil, &cur); err != nil {
		return fail(e, fmt.Errorf("read token %s to update it: %w", a, err))
	}
	body := tokenBody{AccessorID: cur.AccessorID, Description: cur.Description, Policies: cur.Policies, Roles: cur.Roles,
		ServiceIdentities: cur.ServiceIdentities, Local: cur.Local, ExpirationTTL: cur.ExpirationTTL, ExpirationTime: cur.ExpirationTime}
	if f.set("description") {
		body.Description = *desc
	}
	if err := lf.apply(&body.Policies, &body.Roles, &body.ServiceIdentities); err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, c, "PUT", "/v1/acl/token/"+esc(a), body)
	if err != nil {
		return fail(e, fmt.Errorf("update token %s: %w", a, err))
	}
	return show(e, f, raw, renderTokenValue)
}

func aclTokenDelete(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token delete")
	id := tokenID(f)
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	a, err := id(ctx, c)
	if err != nil {
		return fail(e, err)
	}
	if _, err := c.do(ctx, "DELETE", "/v1/acl/token/"+esc(a), nil, nil); err != nil {
		return fail(e, fmt.Errorf("delete token %s: %w", a, err))
	}
	fmt.Fprintf(e.Stdout, "Token %q deleted successfully\n", a)
	return 0
}

func aclTokenClone(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "token clone")
	id := tokenID(f)
	desc := f.fs.String("description", "", "the clone's description (default the original's)")
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	a, err := id(ctx, c)
	if err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, c, "PUT", "/v1/acl/token/"+esc(a)+"/clone", map[string]string{"Description": *desc})
	if err != nil {
		return fail(e, fmt.Errorf("clone token %s: %w", a, err))
	}
	return show(e, f, raw, renderTokenValue)
}
