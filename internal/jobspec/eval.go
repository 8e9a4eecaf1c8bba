package jobspec

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions returns the HCL functions a job file may call: a small,
// side-effect-free subset of Nomad's (no file or environment access).
func functions() map[string]function.Function {
	return map[string]function.Function{
		"upper":      stdlib.UpperFunc,
		"lower":      stdlib.LowerFunc,
		"trimspace":  stdlib.TrimSpaceFunc,
		"trimprefix": stdlib.TrimPrefixFunc,
		"trimsuffix": stdlib.TrimSuffixFunc,
		"join":       stdlib.JoinFunc,
		"split":      stdlib.SplitFunc,
		"replace":    stdlib.ReplaceFunc,
		"substr":     stdlib.SubstrFunc,
		"format":     stdlib.FormatFunc,
		"formatlist": stdlib.FormatListFunc,
		"concat":     stdlib.ConcatFunc,
		"length":     stdlib.LengthFunc,
		"coalesce":   stdlib.CoalesceFunc,
		"contains":   stdlib.ContainsFunc,
		"keys":       stdlib.KeysFunc,
		"values":     stdlib.ValuesFunc,
		"merge":      stdlib.MergeFunc,
		"lookup":     stdlib.LookupFunc,
		"element":    stdlib.ElementFunc,
		"min":        stdlib.MinFunc,
		"max":        stdlib.MaxFunc,
		"jsonencode": stdlib.JSONEncodeFunc,
		"jsondecode": stdlib.JSONDecodeFunc,
		"tostring":   stdlib.MakeToFunc(cty.String),
		"tonumber":   stdlib.MakeToFunc(cty.Number),
		"tobool":     stdlib.MakeToFunc(cty.Bool),
	}
}

// eval evaluates expr with the file's variables. References to names the
// file does not define (NOMAD_PORT_http, attr.unique.network.ip-address,
// node.unique.name, meta.x, env["X"], ...) are runtime interpolations: they
// evaluate to their own text, "${...}", for the client to resolve.
func (d *decoder) eval(expr hclsyntax.Expression) (cty.Value, bool) {
	ctx := d.ctx
	if ph := d.placeholders(expr); len(ph) > 0 {
		ctx = ctx.NewChild()
		ctx.Variables = ph
	}
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		d.diags(diags)
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		d.errorf(expr.Range().Start, "value is not known when the job is parsed")
		return cty.NilVal, false
	}
	return v, true
}

// phNode is one step of a runtime reference tree: attr → unique → network.
type phNode struct {
	text string // "${...}" for a reference ending here
	kids map[string]*phNode
}

func (n *phNode) value() cty.Value {
	if len(n.kids) == 0 {
		return cty.StringVal(n.text)
	}
	m := make(map[string]cty.Value, len(n.kids))
	for k, kid := range n.kids {
		m[k] = kid.value()
	}
	return cty.ObjectVal(m)
}

// placeholders builds values for the runtime references in expr.
func (d *decoder) placeholders(expr hclsyntax.Expression) map[string]cty.Value {
	roots := map[string]*phNode{}
	for _, tr := range hclsyntax.Variables(expr) {
		root := tr.RootName()
		if _, defined := d.ctx.Variables[root]; defined {
			continue
		}
		rng := tr.SourceRange()
		if rng.End.Byte > len(d.src) || rng.Start.Byte > rng.End.Byte {
			continue
		}
		text := "${" + string(d.src[rng.Start.Byte:rng.End.Byte]) + "}"
		node, ok := roots[root]
		if !ok {
			node = &phNode{}
			roots[root] = node
		}
		node = descend(node, tr[1:])
		if node.text == "" {
			node.text = text
		}
	}
	out := make(map[string]cty.Value, len(roots))
	for k, n := range roots {
		out[k] = n.value()
	}
	return out
}

// descend walks the attribute and string-index steps of a traversal,
// creating nodes; it stops at the first other step.
func descend(node *phNode, steps hcl.Traversal) *phNode {
	for _, step := range steps {
		var name string
		switch s := step.(type) {
		case hcl.TraverseAttr:
			name = s.Name
		case hcl.TraverseIndex:
			if s.Key.Type() != cty.String || s.Key.IsNull() {
				return node
			}
			name = s.Key.AsString()
		default:
			return node
		}
		if node.kids == nil {
			node.kids = map[string]*phNode{}
		}
		kid, ok := node.kids[name]
		if !ok {
			kid = &phNode{}
			node.kids[name] = kid
		}
		node = kid
	}
	return node
}
