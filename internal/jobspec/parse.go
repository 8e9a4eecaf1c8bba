package jobspec

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/orbit/orbit/internal/job"
)

// Options are the inputs of a job file besides its text.
type Options struct {
	// Vars are -var name=value inputs; they win over var files and defaults.
	// A value for a variable of a non-string type is read as an HCL
	// expression ("3", "[\"a\"]").
	Vars map[string]string
	// VarFiles are -var-file inputs in the order given; later files win.
	VarFiles []VarFile
	// Raw returns the job as written: neither canonicalized nor validated
	// (the Nomad API's parse; its callers validate separately).
	Raw bool
}

// VarFile is the content of one var file: HCL attributes "name = value".
type VarFile struct {
	Name string
	Src  []byte
}

// Parse parses the job file src, named filename in positions, into a job.
// On failure the error is a job.ErrorList with every problem found, each
// formatted "file:line:col: message".
func Parse(filename string, src []byte, opts Options) (*job.Job, error) {
	d := newDecoder(filename, src)
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		d.diags(diags)
		return nil, d.sorted()
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return nil, job.ErrorList{job.Errorf(job.Pos{File: filename}, "not an HCL native syntax file")}
	}
	j := d.decodeFile(body, opts)
	if len(d.errs) > 0 {
		return nil, d.sorted()
	}
	if opts.Raw {
		return j, nil
	}
	j.Canonicalize()
	if err := j.Validate(); err != nil {
		return nil, err
	}
	return j, nil
}

// IsJobFile reports whether src is HCL with a top-level job block. A file
// that does not parse counts as a job file, so that its errors are shown.
func IsJobFile(filename string, src []byte) bool {
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return true
	}
	body, ok := file.Body.(*hclsyntax.Body)
	if !ok {
		return false
	}
	for _, b := range body.Blocks {
		if b.Type == "job" {
			return true
		}
	}
	return false
}

// decoder walks one file's syntax tree. It collects every error instead of
// stopping at the first.
type decoder struct {
	file      string
	src       []byte
	lineStart []int // byte offset of each line's start
	ctx       *hcl.EvalContext
	jobType   string // the job's type, once read: restart and reschedule defaults depend on it
	errs      job.ErrorList
}

func newDecoder(filename string, src []byte) *decoder {
	d := &decoder{file: filename, src: src, lineStart: []int{0}, jobType: job.TypeService}
	for i, c := range src {
		if c == '\n' {
			d.lineStart = append(d.lineStart, i+1)
		}
	}
	d.ctx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.EmptyObjectVal, "local": cty.EmptyObjectVal},
		Functions: functions(),
	}
	return d
}

// sorted returns the errors in file order (map-held attributes are
// decoded in no particular order).
func (d *decoder) sorted() job.ErrorList {
	sort.SliceStable(d.errs, func(i, k int) bool {
		a, b := d.errs[i].Pos, d.errs[k].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	return d.errs
}

func (d *decoder) pos(p hcl.Pos) job.Pos {
	return job.Pos{File: d.file, Line: p.Line, Column: p.Column}
}

func (d *decoder) errorf(p hcl.Pos, format string, args ...any) {
	d.errs = append(d.errs, job.Errorf(d.pos(p), format, args...))
}

// diags records HCL's error diagnostics as positioned errors.
func (d *decoder) diags(diags hcl.Diagnostics) {
	for _, diag := range diags {
		if diag.Severity != hcl.DiagError {
			continue
		}
		msg := diag.Summary
		if diag.Detail != "" {
			msg += ": " + diag.Detail
		}
		p := job.Pos{File: d.file}
		if diag.Subject != nil {
			p = job.Pos{File: diag.Subject.Filename, Line: diag.Subject.Start.Line, Column: diag.Subject.Start.Column}
		}
		d.errs = append(d.errs, job.Errorf(p, "%s", msg))
	}
}

// line returns the text of line n (1-based) without its newline.
func (d *decoder) line(n int) string {
	if n < 1 || n > len(d.lineStart) {
		return ""
	}
	end := len(d.src)
	if n < len(d.lineStart) {
		end = d.lineStart[n] - 1
	}
	return strings.TrimSuffix(string(d.src[d.lineStart[n-1]:end]), "\r")
}

// schema says how to decode the attributes and blocks of one body. A name
// missing from both maps is an error.
type schema struct {
	attrs  map[string]func(*hclsyntax.Attribute)
	blocks map[string]func(*hclsyntax.Block)
}

// decodeBody decodes body, named "in" in error messages, with s.
func (d *decoder) decodeBody(body *hclsyntax.Body, in string, s schema) {
	attrs := make([]*hclsyntax.Attribute, 0, len(body.Attributes))
	for _, a := range body.Attributes {
		attrs = append(attrs, a)
	}
	sort.Slice(attrs, func(i, k int) bool { return attrs[i].SrcRange.Start.Byte < attrs[k].SrcRange.Start.Byte })
	for _, a := range attrs {
		fn, ok := s.attrs[a.Name]
		if !ok {
			hint := ""
			if _, isBlock := s.blocks[a.Name]; isBlock {
				hint = fmt.Sprintf(": write it as a block, %s { ... }", a.Name)
			}
			d.errorf(a.NameRange.Start, "unsupported attribute %q in %s%s", a.Name, in, hint)
			continue
		}
		fn(a)
	}
	for _, b := range body.Blocks {
		fn, ok := s.blocks[b.Type]
		if !ok {
			hint := ""
			if _, isAttr := s.attrs[b.Type]; isAttr {
				hint = fmt.Sprintf(": write it as an attribute, %s = ...", b.Type)
			}
			d.errorf(b.TypeRange.Start, "unsupported block %q in %s%s", b.Type, in, hint)
			continue
		}
		fn(b)
	}
}

// reject returns a block handler that refuses the block with a reason.
func (d *decoder) reject(reason string) func(*hclsyntax.Block) {
	return func(b *hclsyntax.Block) {
		d.errorf(b.TypeRange.Start, "unsupported block %q: %s", b.Type, reason)
	}
}

// rejectAttr returns an attribute handler that refuses it with a reason.
func (d *decoder) rejectAttr(reason string) func(*hclsyntax.Attribute) {
	return func(a *hclsyntax.Attribute) {
		d.errorf(a.NameRange.Start, "unsupported attribute %q: %s", a.Name, reason)
	}
}

// labels checks that b has exactly n labels.
func (d *decoder) labels(b *hclsyntax.Block, n int) bool {
	if len(b.Labels) == n {
		return true
	}
	switch n {
	case 0:
		d.errorf(b.LabelRanges[0].Start, "%s block takes no label", b.Type)
	case 1:
		d.errorf(b.TypeRange.Start, "%s block needs one label: %s \"name\" { ... }", b.Type, b.Type)
	default:
		d.errorf(b.TypeRange.Start, "%s block needs %d labels", b.Type, n)
	}
	return false
}

// once reports whether b is the first block of its kind in its body.
func (d *decoder) once(b *hclsyntax.Block, seen map[string]bool) bool {
	if seen[b.Type] {
		d.errorf(b.TypeRange.Start, "duplicate %s block: only one is allowed here", b.Type)
		return false
	}
	seen[b.Type] = true
	return true
}

// decodeFile decodes the top level: variable and locals blocks, then the job.
func (d *decoder) decodeFile(body *hclsyntax.Body, opts Options) *job.Job {
	for name, a := range body.Attributes {
		d.errorf(a.NameRange.Start, "unsupported attribute %q at the top level: only variable, locals and job blocks", name)
	}
	var vars []*hclsyntax.Block
	var locals []*hclsyntax.Block
	var jobs []*hclsyntax.Block
	for _, b := range body.Blocks {
		switch b.Type {
		case "variable":
			vars = append(vars, b)
		case "locals":
			locals = append(locals, b)
		case "job":
			jobs = append(jobs, b)
		default:
			d.errorf(b.TypeRange.Start, "unsupported block %q at the top level: only variable, locals and job blocks", b.Type)
		}
	}
	d.decodeVariables(vars, opts)
	d.decodeLocals(locals)
	switch {
	case len(jobs) == 0:
		d.errs = append(d.errs, job.Errorf(job.Pos{File: d.file, Line: 1, Column: 1}, "no job block: a job file holds one job \"name\" { ... }"))
		return nil
	case len(jobs) > 1:
		d.errorf(jobs[1].TypeRange.Start, "a second job block: a job file holds exactly one job")
	}
	return d.decodeJob(jobs[0])
}
