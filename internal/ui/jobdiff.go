package ui

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// fieldChange is one difference between two versions of a job: the
// field's path ("TaskGroups[web].Count", "TaskGroups[web].Tasks[app].Config.args[1]")
// and its value before and after, as JSON. Kind is "added", "deleted" or
// "edited".
type fieldChange struct {
	Path, Kind, Old, New string
}

// versionDiff is what changed from one version of a job to the next.
type versionDiff struct {
	From, To uint64
	Changes  []fieldChange
}

// diffIgnored are the fields every submission changes: versions, indexes,
// times and the status the scheduler writes, not what the user changed.
var diffIgnored = map[string]bool{
	"Version": true, "SubmitTime": true, "ModifyIndex": true, "JobModifyIndex": true, "CreateIndex": true,
	"Stable": true, "Status": true, "StatusDescription": true, "VersionTag": true,
}

// jobDiff lists the differences between two versions of a job, decoded
// from the API's JSON as generic values, in path order. Lists of objects
// with a Name (groups, tasks, services) are matched by name, so a
// reordering is no change; other lists by position.
func jobDiff(old, new any) []fieldChange {
	var out []fieldChange
	diffValue("", old, new, &out)
	slices.SortStableFunc(out, func(a, b fieldChange) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func diffValue(path string, a, b any, out *[]fieldChange) {
	switch {
	case a == nil && b == nil:
		return
	case a == nil:
		if isEmpty(b) {
			return
		}
		*out = append(*out, fieldChange{Path: path, Kind: "added", New: show(b)})
		return
	case b == nil:
		if isEmpty(a) {
			return
		}
		*out = append(*out, fieldChange{Path: path, Kind: "deleted", Old: show(a)})
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := make([]string, 0, len(am)+len(bm))
		for k := range am {
			keys = append(keys, k)
		}
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if path == "" && diffIgnored[k] {
				continue
			}
			diffValue(join(path, k), am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		if byName(al) && byName(bl) {
			diffValue(path, named(al), named(bl), out)
			return
		}
		for i := range max(len(al), len(bl)) {
			var x, y any
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			diffValue(path+"["+strconv.Itoa(i)+"]", x, y, out)
		}
		return
	}
	if sa, sb := show(a), show(b); sa != sb {
		*out = append(*out, fieldChange{Path: path, Kind: "edited", Old: sa, New: sb})
	}
}

// join appends a map key to a path; a list element matched by name is
// written Path[name] (named marks such keys with a leading "[").
func join(path, k string) string {
	switch {
	case strings.HasPrefix(k, "["):
		return path + k
	case path == "":
		return k
	}
	return path + "." + k
}

// byName says whether every element of a list is an object with a
// distinct non-empty Name.
func byName(l []any) bool {
	seen := map[string]bool{}
	for _, v := range l {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		n, ok := m["Name"].(string)
		if !ok || n == "" || seen[n] {
			return false
		}
		seen[n] = true
	}
	return len(l) > 0
}

func named(l []any) map[string]any {
	m := make(map[string]any, len(l))
	for _, v := range l {
		m["["+v.(map[string]any)["Name"].(string)+"]"] = v
	}
	return m
}

// isEmpty says whether a value is the zero of its JSON kind, which a
// version that omits the field means too.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// versionDiffs compares each version of a job with the one before it,
// newest first, from the API's versions (any order).
func versionDiffs(versions []map[string]any) []versionDiff {
	type v struct {
		n   uint64
		job map[string]any
	}
	vs := make([]v, 0, len(versions))
	for _, j := range versions {
		n, _ := j["Version"].(float64)
		vs = append(vs, v{uint64(n), j})
	}
	slices.SortFunc(vs, func(a, b v) int { return cmp.Compare(b.n, a.n) })
	var out []versionDiff
	for i := 0; i+1 < len(vs); i++ {
		out = append(out, versionDiff{From: vs[i+1].n, To: vs[i].n, Changes: jobDiff(vs[i+1].job, vs[i].job)})
	}
	return out
}
