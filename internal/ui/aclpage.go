package ui

import "github.com/orbit/orbit/internal/acl"

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
	d := &aclData{CanWrite: rc.can(acl.ACL, "", acl.Write)}
	var self struct{ Config struct{ ACLsEnabled bool } }
	_ = rc.get("/v1/agent/self", &self)
	d.Enabled = self.Config.ACLsEnabled
	if !d.Enabled {
		d.Note = "ACLs are off on this agent: everyone may read and write everything."
		return d, nil
	}
	var me aclToken
	if err := rc.get("/v1/acl/token/self", &me); err != nil {
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
