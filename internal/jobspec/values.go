package jobspec

import (
	"math/big"
	"time"

	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/orbit/orbit/internal/job"
)

// apos is an attribute's position: where its name starts.
func (d *decoder) apos(a *hclsyntax.Attribute) job.Pos { return d.pos(a.NameRange.Start) }

// expos is an expression's position.
func (d *decoder) expos(e hclsyntax.Expression) job.Pos { return d.pos(e.Range().Start) }

// typed evaluates a's value and converts it to ty, reporting a type error
// with the attribute's name.
func (d *decoder) typed(a *hclsyntax.Attribute, ty cty.Type, what string) (cty.Value, bool) {
	v, ok := d.eval(a.Expr)
	if !ok {
		return cty.NilVal, false
	}
	if v.IsNull() {
		d.errorf(a.Expr.Range().Start, "%s must be %s, not null", a.Name, what)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		d.errorf(a.Expr.Range().Start, "%s must be %s: %v", a.Name, what, err)
		return cty.NilVal, false
	}
	return cv, true
}

func (d *decoder) str(a *hclsyntax.Attribute, dst *string) {
	if v, ok := d.typed(a, cty.String, "a string"); ok {
		*dst = v.AsString()
	}
}

// strPos sets dst and its position.
func (d *decoder) strPos(a *hclsyntax.Attribute, dst *string, pos *job.Pos) {
	d.str(a, dst)
	*pos = d.apos(a)
}

func (d *decoder) boolean(a *hclsyntax.Attribute, dst *bool) {
	if v, ok := d.typed(a, cty.Bool, "true or false"); ok {
		*dst = v.True()
	}
}

func (d *decoder) integer(a *hclsyntax.Attribute, dst *int) {
	v, ok := d.typed(a, cty.Number, "a whole number")
	if !ok {
		return
	}
	i, acc := v.AsBigFloat().Int64()
	if acc != big.Exact || i != int64(int(i)) {
		d.errorf(a.Expr.Range().Start, "%s must be a whole number, not %s", a.Name, v.AsBigFloat().String())
		return
	}
	*dst = int(i)
}

func (d *decoder) intPos(a *hclsyntax.Attribute, dst *int, pos *job.Pos) {
	d.integer(a, dst)
	*pos = d.apos(a)
}

// duration reads a Go duration string ("10s", "1h30m").
func (d *decoder) duration(a *hclsyntax.Attribute, dst *time.Duration) {
	v, ok := d.typed(a, cty.String, `a duration such as "10s"`)
	if !ok {
		return
	}
	dur, err := time.ParseDuration(v.AsString())
	if err != nil {
		d.errorf(a.Expr.Range().Start, "%s must be a duration such as \"10s\" or \"1h30m\", not %q", a.Name, v.AsString())
		return
	}
	*dst = dur
}

func (d *decoder) durPos(a *hclsyntax.Attribute, dst *time.Duration, pos *job.Pos) {
	d.duration(a, dst)
	*pos = d.apos(a)
}

// strings reads a list of strings and the position of each element.
func (d *decoder) strings(a *hclsyntax.Attribute) ([]string, []job.Pos) {
	v, ok := d.typed(a, cty.List(cty.String), "a list of strings")
	if !ok {
		return nil, nil
	}
	elems := elementExprs(a.Expr, v.LengthInt())
	out := make([]string, 0, v.LengthInt())
	pos := make([]job.Pos, 0, v.LengthInt())
	for i, e := range v.AsValueSlice() {
		if e.IsNull() {
			d.errorf(a.Expr.Range().Start, "%s must not hold null", a.Name)
			continue
		}
		out = append(out, e.AsString())
		if elems != nil {
			pos = append(pos, d.expos(elems[i]))
		} else {
			pos = append(pos, d.expos(a.Expr))
		}
	}
	return out, pos
}

func (d *decoder) strList(a *hclsyntax.Attribute, dst *[]string) {
	*dst, _ = d.strings(a)
}

// elementExprs returns the element expressions of a literal list of n
// elements, or nil when expr is not one (a variable, a function call).
func elementExprs(expr hclsyntax.Expression, n int) []hclsyntax.Expression {
	t, ok := expr.(*hclsyntax.TupleConsExpr)
	if !ok || len(t.Exprs) != n {
		return nil
	}
	return t.Exprs
}

// stringMap reads a map attribute (meta = { ... }) into set.
func (d *decoder) stringMap(a *hclsyntax.Attribute, set func(k, v string, pos job.Pos)) {
	v, ok := d.typed(a, cty.Map(cty.String), "a map of strings")
	if !ok {
		return
	}
	keyPos := d.objectKeyPos(a.Expr)
	for k, e := range v.AsValueMap() {
		p, ok := keyPos[k]
		if !ok {
			p = d.expos(a.Expr)
		}
		if e.IsNull() {
			d.errorf(a.Expr.Range().Start, "%s: %q must not be null", a.Name, k)
			continue
		}
		set(k, e.AsString(), p)
	}
}

// objectKeyPos maps each key of a literal object to the position of its
// key expression.
func (d *decoder) objectKeyPos(expr hclsyntax.Expression) map[string]job.Pos {
	o, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	out := make(map[string]job.Pos, len(o.Items))
	for _, item := range o.Items {
		k, diags := item.KeyExpr.Value(d.ctx)
		if diags.HasErrors() || k.IsNull() || !k.IsKnown() || k.Type() != cty.String {
			continue
		}
		out[k.AsString()] = d.expos(item.KeyExpr)
	}
	return out
}

// objectValueExprs maps each key of a literal object to its value expression.
func (d *decoder) objectValueExprs(expr hclsyntax.Expression) map[string]hclsyntax.Expression {
	o, ok := expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil
	}
	out := make(map[string]hclsyntax.Expression, len(o.Items))
	for _, item := range o.Items {
		k, diags := item.KeyExpr.Value(d.ctx)
		if diags.HasErrors() || k.IsNull() || !k.IsKnown() || k.Type() != cty.String {
			continue
		}
		out[k.AsString()] = item.ValueExpr
	}
	return out
}

// value converts an evaluated value to a job.Value, taking element
// positions from expr when it is a literal list or object.
func (d *decoder) value(v cty.Value, expr hclsyntax.Expression, pos job.Pos) job.Value {
	out := job.Value{Pos: pos}
	if v.IsNull() {
		return out
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		out.Kind, out.Str = job.KindString, v.AsString()
	case ty == cty.Number:
		out.Kind = job.KindNumber
		out.Num, _ = v.AsBigFloat().Float64()
	case ty == cty.Bool:
		out.Kind, out.Bool = job.KindBool, v.True()
	case ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		out.Kind = job.KindList
		elems := elementExprs(expr, v.LengthInt())
		for i, e := range v.AsValueSlice() {
			ep, eexpr := pos, hclsyntax.Expression(nil)
			if elems != nil {
				eexpr = elems[i]
				ep = d.expos(eexpr)
			}
			out.List = append(out.List, d.value(e, eexpr, ep))
		}
	case ty.IsMapType() || ty.IsObjectType():
		out.Kind = job.KindMap
		out.Map = map[string]job.Value{}
		exprs := d.objectValueExprs(expr)
		for k, e := range v.AsValueMap() {
			ep, eexpr := pos, exprs[k]
			if eexpr != nil {
				ep = d.expos(eexpr)
			}
			out.Map[k] = d.value(e, eexpr, ep)
		}
	}
	return out
}
