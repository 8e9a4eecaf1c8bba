package jobspec

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/orbit/orbit/internal/job"
)

// variable is a declared input of the job file.
type variable struct {
	name  string
	pos   hcl.Pos
	ty    cty.Type
	value cty.Value // the default until an input overrides it
	set   bool
}

// decodeVariables declares the variable blocks, applies var files then -var
// values, and puts the result in the evaluation context as var.
func (d *decoder) decodeVariables(blocks []*hclsyntax.Block, opts Options) {
	vars := map[string]*variable{}
	for _, b := range blocks {
		if !d.labels(b, 1) {
			continue
		}
		if prev, dup := vars[b.Labels[0]]; dup {
			d.errorf(b.TypeRange.Start, "variable %q is declared twice (first at line %d)", b.Labels[0], prev.pos.Line)
			continue
		}
		vars[b.Labels[0]] = d.decodeVariable(b)
	}
	for _, f := range opts.VarFiles {
		d.applyVarFile(vars, f)
	}
	names := make([]string, 0, len(opts.Vars))
	for k := range opts.Vars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		d.applyVarFlag(vars, name, opts.Vars[name])
	}
	values := map[string]cty.Value{}
	for name, v := range vars {
		if !v.set {
			d.errorf(v.pos, "variable %q has no value: give it a default, -var %s=... or a -var-file", name, name)
			continue
		}
		values[name] = v.value
	}
	d.ctx.Variables["var"] = cty.ObjectVal(values)
}

func (d *decoder) decodeVariable(b *hclsyntax.Block) *variable {
	v := &variable{name: b.Labels[0], pos: b.TypeRange.Start, ty: cty.DynamicPseudoType}
	var def *hclsyntax.Attribute
	d.decodeBody(b.Body, fmt.Sprintf("variable %q", v.name), schema{
		attrs: map[string]func(*hclsyntax.Attribute){
			"type": func(a *hclsyntax.Attribute) {
				ty, diags := typeexpr.TypeConstraint(a.Expr)
				d.diags(diags)
				if !diags.HasErrors() {
					v.ty = ty
				}
			},
			"default":     func(a *hclsyntax.Attribute) { def = a },
			"description": func(*hclsyntax.Attribute) {},
			"sensitive":   func(*hclsyntax.Attribute) {},
		},
		blocks: map[string]func(*hclsyntax.Block){
			"validation": d.reject("variable validation is not supported"),
		},
	})
	if def != nil {
		val, diags := def.Expr.Value(&hcl.EvalContext{Functions: d.ctx.Functions})
		d.diags(diags)
		if !diags.HasErrors() {
			v.value, v.set = d.convertVar(v, val, def.Expr.Range().Start, "default")
		}
	}
	return v
}

// convertVar converts an input to the variable's type, or reports why not.
func (d *decoder) convertVar(v *variable, val cty.Value, p hcl.Pos, from string) (cty.Value, bool) {
	cv, err := convert.Convert(val, v.ty)
	if err != nil {
		d.errorf(p, "variable %q: %s does not fit type %s: %v", v.name, from, v.ty.FriendlyName(), err)
		return cty.NilVal, false
	}
	return cv, true
}

// applyVarFile sets variables from the attributes of one var file.
func (d *decoder) applyVarFile(vars map[string]*variable, f VarFile) {
	file, diags := hclsyntax.ParseConfig(f.Src, f.Name, hcl.InitialPos)
	if diags.HasErrors() {
		d.diags(diags)
		return
	}
	body := file.Body.(*hclsyntax.Body)
	for _, b := range body.Blocks {
		d.errs = append(d.errs, job.Errorf(job.Pos{File: f.Name, Line: b.TypeRange.Start.Line, Column: b.TypeRange.Start.Column},
			"unsupported block %q in a var file: write name = value", b.Type))
	}
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, k int) bool { return attrs[i].SrcRange.Start.Byte < attrs[k].SrcRange.Start.Byte })
	for _, a := range attrs {
		p := job.Pos{File: f.Name, Line: a.NameRange.Start.Line, Column: a.NameRange.Start.Column}
		v, ok := vars[a.Name]
		if !ok {
			d.errs = append(d.errs, job.Errorf(p, "var file sets %q, which the job does not declare", a.Name))
			continue
		}
		val, diags := a.Expr.Value(&hcl.EvalContext{Functions: d.ctx.Functions})
		if diags.HasErrors() {
			d.diags(diags)
			continue
		}
		if cv, ok := d.convertVar(v, val, a.Expr.Range().Start, "var file value"); ok {
			v.value, v.set = cv, true
		}
	}
}

// applyVarFlag sets one variable from -var name=value. Strings are taken
// as they are; other types are read as an HCL expression.
func (d *decoder) applyVarFlag(vars map[string]*variable, name, raw string) {
	where := job.Pos{File: "-var " + name}
	v, ok := vars[name]
	if !ok {
		d.errs = append(d.errs, job.Errorf(where, "variable %q is not declared in %s", name, d.file))
		return
	}
	val := cty.StringVal(raw)
	if v.ty != cty.String && v.ty != cty.DynamicPseudoType {
		expr, diags := hclsyntax.ParseExpression([]byte(raw), "-var "+name, hcl.InitialPos)
		if diags.HasErrors() {
			d.errs = append(d.errs, job.Errorf(where, "value %q is not valid HCL for type %s", raw, v.ty.FriendlyName()))
			return
		}
		if val, diags = expr.Value(&hcl.EvalContext{Functions: d.ctx.Functions}); diags.HasErrors() {
			d.errs = append(d.errs, job.Errorf(where, "value %q: %s", raw, diags.Error()))
			return
		}
	}
	cv, err := convert.Convert(val, v.ty)
	if err != nil {
		d.errs = append(d.errs, job.Errorf(where, "value %q does not fit type %s: %v", raw, v.ty.FriendlyName(), err))
		return
	}
	v.value, v.set = cv, true
}

// decodeLocals evaluates locals blocks; a local may use variables and the
// locals before it (in any order, as long as there is no cycle).
func (d *decoder) decodeLocals(blocks []*hclsyntax.Block) {
	var pending []*hclsyntax.Attribute
	for _, b := range blocks {
		if !d.labels(b, 0) {
			continue
		}
		for _, inner := range b.Body.Blocks {
			d.errorf(inner.TypeRange.Start, "unsupported block %q in locals", inner.Type)
		}
		for _, a := range b.Body.Attributes {
			pending = append(pending, a)
		}
	}
	sort.Slice(pending, func(i, k int) bool { return pending[i].SrcRange.Start.Byte < pending[k].SrcRange.Start.Byte })
	values := map[string]cty.Value{}
	for progress := true; progress && len(pending) > 0; {
		progress = false
		var next []*hclsyntax.Attribute
		for _, a := range pending {
			d.ctx.Variables["local"] = cty.ObjectVal(values)
			if !d.localsReady(a, values) {
				next = append(next, a)
				continue
			}
			if v, ok := d.eval(a.Expr); ok {
				values[a.Name] = v
			}
			progress = true
		}
		pending = next
	}
	for _, a := range pending {
		d.errorf(a.NameRange.Start, "local %q refers to a local that is not defined or forms a cycle", a.Name)
	}
	d.ctx.Variables["local"] = cty.ObjectVal(values)
}

// localsReady reports whether every local that a refers to has a value.
func (d *decoder) localsReady(a *hclsyntax.Attribute, values map[string]cty.Value) bool {
	for _, tr := range hclsyntax.Variables(a.Expr) {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if step, ok := tr[1].(hcl.TraverseAttr); ok {
			if _, done := values[step.Name]; !done {
				return false
			}
		}
	}
	return true
}
