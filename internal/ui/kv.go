package ui

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/orbit/orbit/internal/acl"
	"github.com/orbit/orbit/internal/httpkit"
)

// kvRow is a key or a folder under the shown prefix.
type kvRow struct {
	Key, Name string
	Folder    bool
}

type kvData struct {
	Prefix   string
	Crumbs   []kvRow
	Rows     []kvRow
	Pager    pager
	CanWrite bool
	// the key shown, when the path names a key
	Key         string
	Value       string
	Binary      bool
	ModifyIndex uint64
	Flags       uint64
	Session     string
}

func (*kvData) tplName() string { return "kv" }

// kv browses keys by folder (a path ending in "/") and shows one key with
// its editor; edits and deletes carry ?cas with the index read, so a key
// changed meanwhile is refused.
func (s *Server) kv(rc *reqCtx) (any, error) {
	p := rc.tail(0)
	if p != "" {
		if u, err := url.PathUnescape(p); err == nil {
			p = u
		}
	}
	folder := p == "" || strings.HasSuffix(rc.r.URL.Path, "/")
	if folder && p != "" {
		p += "/"
	}
	d := &kvData{Prefix: p, CanWrite: rc.can(acl.Key, p, acl.Write)}
	acc := ""
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == "" {
			continue
		}
		acc += seg + "/"
		d.Crumbs = append(d.Crumbs, kvRow{Key: acc, Name: seg})
	}
	if !folder {
		d.Prefix = p[:strings.LastIndex(p, "/")+1]
		if len(d.Crumbs) > 0 {
			d.Crumbs = d.Crumbs[:len(d.Crumbs)-1]
		}
		var ents []struct {
			Key         string
			Value       string
			Flags       uint64
			ModifyIndex uint64
			Session     string
		}
		if err := rc.get("/v1/kv/"+escapeKey(p), &ents); err != nil {
			return nil, publicErr(err)
		}
		if len(ents) == 0 {
			return nil, httpkit.Errorf(http.StatusNotFound, "no key %q", p)
		}
		e := ents[0]
		raw, _ := base64.StdEncoding.DecodeString(e.Value)
		d.Key, d.ModifyIndex, d.Flags, d.Session = e.Key, e.ModifyIndex, e.Flags, e.Session
		d.Value = string(raw)
		d.Binary = !printable(raw)
		if d.Binary {
			d.Value = base64.StdEncoding.EncodeToString(raw)
		}
		d.CanWrite = rc.can(acl.Key, p, acl.Write)
		return d, nil
	}
	var keys []string
	err := rc.get("/v1/kv/"+escapeKey(p)+"?keys&separator=/", &keys)
	if err != nil && !absent(err) {
		return nil, publicErr(err)
	}
	l := parseList(rc.q, "name")
	for _, k := range keys {
		name := strings.TrimPrefix(k, p)
		if name == "" || !l.match(name) {
			continue
		}
		d.Rows = append(d.Rows, kvRow{Key: k, Name: name, Folder: strings.HasSuffix(k, "/")})
	}
	d.Rows, d.Pager = paginate(l, d.Rows)
	return d, nil
}

// escapeKey escapes each segment of a key for a URL path.
func escapeKey(k string) string {
	segs := strings.Split(k, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// printable says whether b reads as text.
func printable(b []byte) bool {
	s := string(b)
	if !strings.ContainsRune(s, '\uFFFD') {
		for _, r := range s {
			if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
				return false
			}
		}
		return true
	}
	return false
}
