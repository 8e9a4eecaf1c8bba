package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/orbit/orbit/internal/acl"
)

func cmdACLRole(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "acl role", args, map[string]func(context.Context, *Env, []string) int{
		"create": aclRoleCreate,
		"read":   aclRoleRead,
		"list":   aclRoleList,
		"update": aclRoleUpdate,
		"delete": aclRoleDelete,
	})
}

// roleBody is a role create or update request, in Consul's shape.
type roleBody struct {
	ID                string `json:",omitempty"`
	Name              string
	Description       string
	Policies          []acl.Link
	ServiceIdentities []acl.ServiceIdentity
}

func renderRoleValue(w io.Writer, r acl.Role) { renderRole(w, &r) }

func aclRoleCreate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "role create")
	var lf linkFlags
	lf.register(f, false, false)
	name := f.fs.String("name", "", "the role's name (required)")
	desc := f.fs.String("description", "", "what the role is for")
	if !f.parse(e, args) {
		return 2
	}
	if *name == "" {
		return fail(e, errUsage("give the role a -name"))
	}
	body := roleBody{Name: *name, Description: *desc}
	if err := lf.apply(&body.Policies, nil, &body.ServiceIdentities); err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, f.client(), "PUT", "/v1/acl/role", body)
	if err != nil {
		return fail(e, fmt.Errorf("create role %q: %w", *name, err))
	}
	return show(e, f, raw, renderRoleValue)
}

// roleRef registers -id and -name, which name a role, and returns a
// reader of the role they name.
func roleRef(f *aclFlags) (id, name *string, read func(context.Context, *apiClient) (acl.Role, []byte, error)) {
	id = f.fs.String("id", "", "the role's ID (or a unique prefix of it)")
	name = f.fs.String("name", "", "the role's name, instead of -id")
	return id, name, func(ctx context.Context, c *apiClient) (acl.Role, []byte, error) {
		var r acl.Role
		path := ""
		switch {
		case *id != "":
			full, err := expandID(ctx, c, "role", "/v1/acl/roles", *id, func(r acl.Role) string { return r.ID })
			if err != nil {
				return r, nil, err
			}
			path = "/v1/acl/role/" + esc(full)
		case *name != "":
			path = "/v1/acl/role/name/" + esc(*name)
		default:
			return r, nil, errUsage("give the role with -id ID or -name NAME (`orbit acl role list` shows them)")
		}
		raw, err := call(ctx, c, "GET", path, nil)
		if err != nil {
			return r, nil, err
		}
		return r, raw, json.Unmarshal(raw, &r)
	}
}

func aclRoleRead(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "role read")
	_, _, read := roleRef(f)
	if !f.parse(e, args) {
		return 2
	}
	_, raw, err := read(ctx, f.client())
	if err != nil {
		return fail(e, fmt.Errorf("read role: %w", err))
	}
	return show(e, f, raw, renderRoleValue)
}

func aclRoleList(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "role list")
	if !f.parse(e, args) {
		return 2
	}
	raw, err := call(ctx, f.client(), "GET", "/v1/acl/roles", nil)
	if err != nil {
		return fail(e, fmt.Errorf("list roles: %w", err))
	}
	return show(e, f, raw, renderRoles)
}

// aclRoleUpdate changes only what is given; with -id, -name renames.
func aclRoleUpdate(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "role update")
	id, name, read := roleRef(f)
	var lf linkFlags
	lf.register(f, false, true)
	desc := f.fs.String("description", "", "a new description")
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
		return fail(e, fmt.Errorf("read role to update it: %w", err))
	}
	body := roleBody{ID: cur.ID, Name: first(newName, cur.Name), Description: cur.Description, Policies: cur.Policies,
		ServiceIdentities: cur.ServiceIdentities}
	if f.set("description") {
		body.Description = *desc
	}
	if err := lf.apply(&body.Policies, nil, &body.ServiceIdentities); err != nil {
		return fail(e, err)
	}
	raw, err := call(ctx, c, "PUT", "/v1/acl/role/"+esc(cur.ID), body)
	if err != nil {
		return fail(e, fmt.Errorf("update role %q: %w", cur.Name, err))
	}
	return show(e, f, raw, renderRoleValue)
}

func aclRoleDelete(ctx context.Context, e *Env, args []string) int {
	f := newACLFlags(e, "role delete")
	_, _, read := roleRef(f)
	if !f.parse(e, args) {
		return 2
	}
	c := f.client()
	r, _, err := read(ctx, c)
	if err != nil {
		return fail(e, fmt.Errorf("read role to delete it: %w", err))
	}
	if _, err := c.do(ctx, "DELETE", "/v1/acl/role/"+esc(r.ID), nil, nil); err != nil {
		return fail(e, fmt.Errorf("delete role %q: %w", r.Name, err))
	}
	fmt.Fprintf(e.Stdout, "Role %q deleted successfully\n", r.Name)
	return 0
}
