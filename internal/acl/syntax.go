package acl

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
)

// item is one entry of a rules body, the same for HCL and JSON: an
// attribute (value set) or a block (labels and body).
type item struct {
	name    string
	pos     Pos
	labels  []string
	block   bool
	body    []item
	value   *value
	namePos Pos
}

// value is an attribute's literal value: a string or a list of strings.
type value struct {
	str    string
	list   []string
	isList bool
	pos    Pos
}

// reader turns one document's syntax into items, collecting errors.
type reader struct {
	file string
	errs ParseErrors
}

func (r *reader) pos(p hcl.Pos) Pos { return Pos{File: r.file, Line: p.Line, Column: p.Column} }

func (r *reader) errorf(p Pos, msg string) { r.errs = append(r.errs, ParseError{Pos: p, Msg: msg}) }

func (r *reader) diags(ds hcl.Diagnostics) {
	for _, d := range ds {
		p := Pos{File: r.file}
		if d.Subject != nil {
			p = r.pos(d.Subject.Start)
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		r.errorf(p, msg)
	}
}

// isJSON says whether src is a JSON document: its first non-space byte is "{".
func isJSON(src []byte) bool {
	t := bytes.TrimLeft(src, " \t\r\n")
	return len(t) > 0 && t[0] == '{'
}

// readNative reads HCL native syntax.
func (r *reader) readNative(src []byte) []item {
	f, ds := hclsyntax.ParseConfig(src, r.file, hcl.InitialPos)
	if ds.HasErrors() {
		r.diags(ds)
		return nil
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		r.errorf(Pos{File: r.file, Line: 1, Column: 1}, "not HCL native syntax")
		return nil
	}
	return r.nativeBody(body)
}

func (r *reader) nativeBody(b *hclsyntax.Body) []item {
	var out []item
	for _, a := range b.Attributes {
		v := r.literal(a.Expr)
		out = append(out, item{name: a.Name, pos: r.pos(a.NameRange.Start), namePos: r.pos(a.NameRange.Start), value: v})
	}
	for _, bl := range b.Blocks {
		out = append(out, item{name: bl.Type, pos: r.pos(bl.TypeRange.Start), namePos: r.pos(bl.TypeRange.Start),
			labels: bl.Labels, block: true, body: r.nativeBody(bl.Body)})
	}
	sortItems(out)
	return out
}

// literal evaluates an expression that must be a constant string or list
// of strings; nil after an error.
func (r *reader) literal(e hcl.Expression) *value {
	p := r.pos(e.Range().Start)
	v, ds := e.Value(nil)
	if ds.HasErrors() {
		r.errorf(p, "value must be a literal string or list of strings")
		return nil
	}
	switch {
	case v.IsNull() || !v.IsKnown():
		r.errorf(p, "value must be a literal string or list of strings")
		return nil
	case v.Type() == cty.String:
		return &value{str: v.AsString(), pos: p}
	case v.Type().IsTupleType() || v.Type().IsListType():
		out := &value{isList: true, pos: p}
		for it := v.ElementIterator(); it.Next(); {
			_, ev := it.Element()
			if ev.IsNull() || !ev.IsKnown() || ev.Type() != cty.String {
				r.errorf(p, "list elements must be strings")
				return nil
			}
			out.list = append(out.list, ev.AsString())
		}
		return out
	}
	r.errorf(p, "value must be a literal string or list of strings")
	return nil
}

// readJSON reads the JSON form: {"key_prefix": {"": {"policy": "read"}},
// "operator": "read", "node": {"policy": "read"}}. An object under a
// labelled rule kind holds one entry per label; hcl v1's list of such
// objects is accepted too.
func (r *reader) readJSON(src []byte) []item {
	f, ds := hcljson.Parse(src, r.file)
	if ds.HasErrors() {
		r.diags(ds)
		return nil
	}
	attrs, ds := f.Body.JustAttributes()
	if ds.HasErrors() {
		r.diags(ds)
		return nil
	}
	var out []item
	for _, a := range attrs {
		p := r.pos(a.NameRange.Start)
		pairs, isObj := r.object(a.Expr)
		if !isObj {
			if elems, isList := r.objectList(a.Expr); isList && labelled(a.Name) {
				for _, e := range elems {
					ps, _ := r.object(e)
					out = append(out, r.jsonLabelled(a.Name, p, ps)...)
				}
				continue
			}
			out = append(out, item{name: a.Name, pos: p, namePos: p, value: r.literal(a.Expr)})
			continue
		}
		if unlabelledForm(a.Name, pairs) {
			out = append(out, item{name: a.Name, pos: p, namePos: p, block: true, body: r.jsonBody(pairs)})
			continue
		}
		out = append(out, r.jsonLabelled(a.Name, p, pairs)...)
	}
	sortItems(out)
	return out
}

func (r *reader) jsonLabelled(name string, p Pos, pairs []hcl.KeyValuePair) []item {
	var out []item
	for _, kv := range pairs {
		label, ok := r.key(kv.Key)
		if !ok {
			continue
		}
		lp := r.pos(kv.Key.Range().Start)
		inner, isObj := r.object(kv.Value)
		if !isObj {
			r.errorf(r.pos(kv.Value.Range().Start), "rule "+name+" \""+label+"\" must be an object")
			continue
		}
		out = append(out, item{name: name, pos: lp, namePos: p, labels: []string{label}, block: true, body: r.jsonBody(inner)})
	}
	return out
}

func (r *reader) jsonBody(pairs []hcl.KeyValuePair) []item {
	var out []item
	for _, kv := range pairs {
		k, ok := r.key(kv.Key)
		if !ok {
			continue
		}
		p := r.pos(kv.Key.Range().Start)
		if inner, isObj := r.object(kv.Value); isObj {
			out = append(out, item{name: k, pos: p, namePos: p, block: true, body: r.jsonBody(inner)})
			continue
		}
		out = append(out, item{name: k, pos: p, namePos: p, value: r.literal(kv.Value)})
	}
	return out
}

// object returns an expression's key/value pairs if it is a JSON object.
func (r *reader) object(e hcl.Expression) ([]hcl.KeyValuePair, bool) {
	v, ds := e.Value(nil)
	if ds.HasErrors() || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil, false
	}
	pairs, ds := hcl.ExprMap(e)
	if ds.HasErrors() {
		return nil, false
	}
	return pairs, true
}

// objectList returns the elements of a JSON array whose elements are all objects.
func (r *reader) objectList(e hcl.Expression) ([]hcl.Expression, bool) {
	elems, ds := hcl.ExprList(e)
	if ds.HasErrors() || len(elems) == 0 {
		return nil, false
	}
	for _, el := range elems {
		if _, ok := r.object(el); !ok {
			return nil, false
		}
	}
	return elems, true
}

func (r *reader) key(e hcl.Expression) (string, bool) {
	v, ds := e.Value(nil)
	if ds.HasErrors() || v.IsNull() || v.Type() != cty.String {
		r.errorf(r.pos(e.Range().Start), "object keys must be strings")
		return "", false
	}
	return v.AsString(), true
}

// unlabelledForm says whether a JSON object under name is Nomad's
// unlabelled block ({"node": {"policy": "read"}}) rather than Consul's
// labelled form ({"node": {"web": {"policy": "read"}}}): it is when the
// kind has no labelled form, or when its "policy" entry is a string.
func unlabelledForm(name string, pairs []hcl.KeyValuePair) bool {
	if !labelled(name) {
		return true
	}
	if !unlabelledBlock(name) {
		return false
	}
	for _, kv := range pairs {
		k, ds := kv.Key.Value(nil)
		if ds.HasErrors() || k.IsNull() || k.Type() != cty.String || k.AsString() != "policy" {
			continue
		}
		v, ds := kv.Value.Value(nil)
		return !ds.HasErrors() && !v.IsNull() && v.Type() == cty.String
	}
	return false
}

// sortItems puts items in source order, so errors come out in order.
func sortItems(items []item) {
	slices.SortStableFunc(items, func(a, b item) int {
		if a.pos.Line != b.pos.Line {
			return cmp.Compare(a.pos.Line, b.pos.Line)
		}
		return cmp.Compare(a.pos.Column, b.pos.Column)
	})
}
