package ui

import (
	"cmp"
	"errors"
	"net/http"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

type aclToken struct {
	AccessorID, Description string
	Policies                []struct{ ID, Name string }
	Roles                   []struct{ ID, Name string }
	Local                   bool
	CreateTime              string
}

type aclPolicy struct{ ID, Name, Description, Rules string }

type aclRole struct {
	ID, Name, Description string
	Policies              []struct{ ID, Name string }
}

type aclData struct {
	Enabled  bool
	Self     *aclToken
	SelfNote string
	Tokens   []aclToken
	Policies []aclPolicy
	Roles    []aclRole
	Note     string
	CanWrite bool
}

// aclPage shows who the session's token is, and the tokens, policies and
// roles it may read.
func (s *Server) aclPage(rc *reqCtx) (any, error) {
	if kind := rc.arg(0); kind != "" {
		return s.aclEdit(rc, kind, rc.arg(1))
	}
	d := &aclData{CanWrite: rc.can(acl.ACL, "", acl.Write)}
	// The ACL API itself says whether ACLs are on: it answers every
	// request 401 "ACL support disabled" when they are off, as Consul's.
	var me aclToken
	err := rc.get("/v1/acl/token/self", &me)
	if aclDisabled(err) {
		d.Note = "ACLs are off on this agent: everyone may read and write everything."
		return d, nil
	}
	d.Enabled = true
	if err != nil {
		d.SelfNote = errNote(err)
	} else {
		d.Self = &me
	}
	l := parseList(rc.q, "")
	if err := rc.get("/v1/acl/tokens", &d.Tokens); err != nil {
		d.Note = "this token may not list ACLs (acl:read)"
		return d, nil
	}
	_ = rc.get("/v1/acl/policies", &d.Policies)
	_ = rc.get("/v1/acl/roles", &d.Roles)
	var toks []aclToken
	for _, t := range d.Tokens {
		if l.match(t.AccessorID, t.Description) {
			toks = append(toks, t)
		}
	}
	d.Tokens = toks
	return d, nil
}

// aclKinds are the ACL objects the UI creates and edits, with the API
// path of each.
var aclKinds = map[string]string{"token": "/v1/acl/token", "policy": "/v1/acl/policy", "role": "/v1/acl/role"}

// aclEditData is the form creating or editing one token, policy or role.
// The browser sends it to the ACL API with the session's token (PUT
// /v1/acl/<kind> to create, PUT /v1/acl/<kind>/<id> to update), so the
// API decides and a refusal shows its own message.
type aclEditData struct {
	Kind, ID              string
	New                   bool
	Name, Description     string
	Rules                 string
	Policies, Roles       string // linked names, comma separated
	Local                 bool
	CanWrite              bool
	AllPolicies, AllRoles []string // the names a link may take
}

func (*aclEditData) tplName() string { return "acledit" }

// aclEdit answers /ui/acl/<kind>/<id> and /ui/acl/<kind>/-new.
func (s *Server) aclEdit(rc *reqCtx, kind, id string) (any, error) {
	base, ok := aclKinds[kind]
	if !ok {
		return nil, httpkit.Errorf(http.StatusNotFound, "no ACL object kind %q: want token, policy or role", kind)
	}
	d := &aclEditData{Kind: kind, New: id == "-new", CanWrite: rc.can(acl.ACL, "", acl.Write)}
	var pols []aclPolicy
	if err := rc.get("/v1/acl/policies", &pols); err == nil {
		for _, p := range pols {
			d.AllPolicies = append(d.AllPolicies, p.Name)
		}
	}
	var roles []aclRole
	if err := rc.get("/v1/acl/roles", &roles); err == nil {
		for _, r := range roles {
			d.AllRoles = append(d.AllRoles, r.Name)
		}
	}
	if d.New {
		return d, nil
	}
	var obj struct {
		ID, AccessorID, Name, Description, Rules string
		Local                                    bool
		Policies, Roles                          []struct{ ID, Name string }
	}
	if err := rc.get(base+"/"+escapeKey(id), &obj); err != nil {
		return nil, publicErr(err)
	}
	d.ID = cmp.Or(obj.ID, obj.AccessorID)
	d.Name, d.Description, d.Rules, d.Local = obj.Name, obj.Description, obj.Rules, obj.Local
	d.Policies = linkNames(obj.Policies)
	d.Roles = linkNames(obj.Roles)
	return d, nil
}

// linkNames joins the names of linked policies or roles (the ID of one
// without a name) for the form's text field.
func linkNames(ls []struct{ ID, Name string }) string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, cmp.Or(l.Name, l.ID))
	}
	return strings.Join(out, ", ")
}

// aclDisabled says whether err is the ACL API answering that ACLs are off.
func aclDisabled(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == http.StatusUnauthorized && strings.Contains(ae.Msg, "ACL support disabled")
}
