package ui

import (
	"encoding/json"
	"reflect"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func TestJobDiff(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []fieldChange
	}{
		{"same", `{"ID":"a","Priority":50}`, `{"ID":"a","Priority":50}`, nil},
		{"only bookkeeping", `{"ID":"a","Version":1,"SubmitTime":5,"ModifyIndex":9,"Stable":true,"Status":"running"}`,
			`{"ID":"a","Version":2,"SubmitTime":6,"ModifyIndex":12,"Stable":false,"Status":"pending"}`, nil},
		{"edited scalar", `{"Priority":50}`, `{"Priority":70}`,
			[]fieldChange{{Path: "Priority", Kind: "edited", Old: "50", New: "70"}}},
		{"string quoted", `{"Type":"service"}`, `{"Type":"batch"}`,
			[]fieldChange{{Path: "Type", Kind: "edited", Old: `"service"`, New: `"batch"`}}},
		{"added and deleted", `{"Meta":{"a":"1"}}`, `{"Meta":{"b":"2"}}`,
			[]fieldChange{{Path: "Meta.a", Kind: "deleted", Old: `"1"`}, {Path: "Meta.b", Kind: "added", New: `"2"`}}},
		{"null and zero are no change", `{"Meta":null,"Stop":false,"Tags":[]}`, `{"Count":0,"Tags":null}`, nil},
		{"groups by name, reordered", `{"TaskGroups":[{"Name":"a","Count":1},{"Name":"b","Count":2}]}`,
			`{"TaskGroups":[{"Name":"b","Count":2},{"Name":"a","Count":3}]}`,
			[]fieldChange{{Path: "TaskGroups[a].Count", Kind: "edited", Old: "1", New: "3"}}},
		{"group added", `{"TaskGroups":[{"Name":"a","Count":1}]}`, `{"TaskGroups":[{"Name":"a","Count":1},{"Name":"b","Count":1}]}`,
			[]fieldChange{{Path: "TaskGroups[b]", Kind: "added", New: `{"Count":1,"Name":"b"}`}}},
		{"nested task config list by position",
			`{"TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Config":{"args":["600"]}}]}]}`,
			`{"TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","Config":{"args":["600","-v"]}}]}]}`,
			[]fieldChange{{Path: "TaskGroups[g].Tasks[t].Config.args[1]", Kind: "added", New: `"-v"`}}},
		{"kind change", `{"X":{"a":1}}`, `{"X":"flat"}`,
			[]fieldChange{{Path: "X", Kind: "edited", Old: `{"a":1}`, New: `"flat"`}}},
		{"nested bookkeeping kept", `{"TaskGroups":[{"Name":"g","Version":1}]}`, `{"TaskGroups":[{"Name":"g","Version":2}]}`,
			[]fieldChange{{Path: "TaskGroups[g].Version", Kind: "edited", Old: "1", New: "2"}}},
		{"duplicate names fall back to positions", `{"L":[{"Name":"x","v":1},{"Name":"x","v":2}]}`, `{"L":[{"Name":"x","v":1},{"Name":"x","v":3}]}`,
			[]fieldChange{{Path: "L[1].v", Kind: "edited", Old: "2", New: "3"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := jobDiff(decode(t, tc.old), decode(t, tc.new))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("jobDiff:\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestVersionDiffs(t *testing.T) {
	vs := []map[string]any{
		decode(t, `{"Version":0,"Priority":50}`),
		decode(t, `{"Version":2,"Priority":70,"Type":"batch"}`),
		decode(t, `{"Version":1,"Priority":70}`),
	}
	got := versionDiffs(vs)
	want := []versionDiff{
		{From: 1, To: 2, Changes: []fieldChange{{Path: "Type", Kind: "added", New: `"batch"`}}},
		{From: 0, To: 1, Changes: []fieldChange{{Path: "Priority", Kind: "edited", Old: "50", New: "70"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("versionDiffs:\n got %+v\nwant %+v", got, want)
	}
	if got := versionDiffs(vs[:1]); got != nil {
		t.Errorf("one version: %+v, want no diff", got)
	}
}
