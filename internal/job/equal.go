package job

import (
	"bytes"
	"encoding/json"
	"strings"
)

// SameSpec reports whether two jobs describe the same thing, ignoring
// source positions (a reformatted file is the same job).
func SameSpec(a, b *Job) bool {
	if a == nil || b == nil {
		return a == b
	}
	return bytes.Equal(specJSON(a), specJSON(b))
}

// SameGroupSpec reports whether two groups would run the same way,
// ignoring their counts and source positions, with the jobs' meta (which
// reaches the tasks' environment) taken into account. A scheduler updates
// an allocation in place when its group is the same spec, and replaces it
// otherwise.
func SameGroupSpec(ja *Job, a *Group, jb *Job, b *Group) bool {
	if a == nil || b == nil {
		return a == b
	}
	ca, cb := *a, *b
	ca.Count, ca.CountPos, cb.Count, cb.CountPos = 0, Pos{}, 0, Pos{}
	ca.Update, cb.Update = nil, nil
	if !bytes.Equal(specJSON(&ca), specJSON(&cb)) {
		return false
	}
	return bytes.Equal(specJSON(ja.Meta.Values), specJSON(jb.Meta.Values))
}

// specJSON is v's JSON without position fields.
func specJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil
	}
	out, _ := json.Marshal(stripPos(tree))
	return out
}

func stripPos(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if strings.HasSuffix(k, "Pos") || k == "DataLines" {
				delete(t, k)
				continue
			}
			t[k] = stripPos(e)
		}
	case []any:
		for i, e := range t {
			t[i] = stripPos(e)
		}
	}
	return v
}
