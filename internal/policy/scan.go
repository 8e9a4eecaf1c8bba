package policy

import (
	"strings"

	"github.com/orbit/orbit/internal/job"
)

// text is one literal string of a task that a content rule looks at: an env
// value, a config value or one line of a template's data.
type text struct {
	key   string // the env or config key; "" for template lines
	value string
	pos   job.Pos // where value starts (for env: where its key starts)
	// at returns the position of byte offset i of value, when it is known
	// more precisely than pos (template lines).
	at func(i int) job.Pos
}

func (t text) posAt(i int) job.Pos {
	if t.at != nil {
		return t.at(i)
	}
	return t.pos
}

// eachText calls fn for every env value, config string and template line of
// every task, in a stable order.
func (c *checker) eachText(fn func(sc scope, t text)) {
	c.eachTask(func(_ *job.Group, task *job.Task, sc scope) {
		for _, k := range sortedKeys(task.Env.Values) {
			fn(sc, text{key: k, value: task.Env.Values[k], pos: task.Env.KeyPos[k]})
		}
		task.Config.Walk(func(key string, v job.Value) {
			if v.Kind == job.KindString {
				fn(sc, text{key: key, value: v.Str, pos: v.Pos})
			}
		})
		for _, tp := range task.Templates {
			for n, line := range strings.Split(tp.Data, "\n") {
				tp, n := tp, n
				fn(sc, text{value: line, pos: tp.LinePos(n, 0), at: func(i int) job.Pos { return tp.LinePos(n, i) }})
			}
		}
	})
}

// runtime reports whether s is filled in at run time: a consul-template
// action or a runtime interpolation.
func runtime(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "${")
}
