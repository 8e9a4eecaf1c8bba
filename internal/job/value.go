package job

import "sort"

// Kind is the kind of a free-form Value.
type Kind int

// Value kinds.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindList
	KindMap
)

// Value is a free-form value of a driver's config block, with the position
// of every element. Nested blocks of a config (a docker "mount { }") become
// a list of maps, whether they appear once or many times.
type Value struct {
	Pos  Pos
	Kind Kind
	Str  string
	Num  float64
	Bool bool
	List []Value
	Map  map[string]Value
}

// Get returns the map entry key, if v is a map holding it.
func (v Value) Get(key string) (Value, bool) {
	if v.Kind != KindMap {
		return Value{}, false
	}
	e, ok := v.Map[key]
	return e, ok
}

// String returns the string entry key of a map value.
func (v Value) String(key string) (string, bool) {
	e, ok := v.Get(key)
	if !ok || e.Kind != KindString {
		return "", false
	}
	return e.Str, true
}

// Strings returns the list-of-strings entry key of a map value.
func (v Value) Strings(key string) ([]string, bool) {
	e, ok := v.Get(key)
	if !ok || e.Kind != KindList {
		return nil, false
	}
	out := make([]string, 0, len(e.List))
	for _, x := range e.List {
		if x.Kind != KindString {
			return nil, false
		}
		out = append(out, x.Str)
	}
	return out, true
}

// Keys returns a map value's keys in sorted order.
func (v Value) Keys() []string {
	keys := make([]string, 0, len(v.Map))
	for k := range v.Map {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Plain converts v to plain Go values: string, float64 (int64 when whole),
// bool, []any, map[string]any or nil, as a driver decodes its config.
func (v Value) Plain() any {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindNumber:
		if v.Num == float64(int64(v.Num)) {
			return int64(v.Num)
		}
		return v.Num
	case KindBool:
		return v.Bool
	case KindList:
		out := make([]any, len(v.List))
		for i, e := range v.List {
			out[i] = e.Plain()
		}
		return out
	case KindMap:
		out := make(map[string]any, len(v.Map))
		for k, e := range v.Map {
			out[k] = e.Plain()
		}
		return out
	default:
		return nil
	}
}

// Walk calls fn for v and every element below it, depth first, with the map
// key under which each element sits: list elements carry their list's key,
// the root carries "".
func (v Value) Walk(fn func(key string, v Value)) {
	v.walk("", fn)
}

func (v Value) walk(key string, fn func(string, Value)) {
	fn(key, v)
	switch v.Kind {
	case KindList:
		for _, e := range v.List {
			e.walk(key, fn)
		}
	case KindMap:
		for _, k := range v.Keys() {
			v.Map[k].walk(k, fn)
		}
	}
}
