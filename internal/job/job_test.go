package job

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func validJob() *Job {
	return &Job{
		Pos: Pos{File: "j.hcl", Line: 1, Column: 1},
		ID:  "web",
		Groups: []*Group{{
			Name:    "g",
			Count:   2,
			Network: &Network{Ports: []*Port{{Label: "http"}}},
			Services: []*Service{{
				Name: "web", Port: "http",
				Checks: []*Check{{Type: CheckHTTP, Path: "/", Interval: 10 * time.Second, Timeout: time.Second}},
			}},
			Tasks: []*Task{{Name: "t", Driver: "raw_exec"}},
		}},
	}
}

func TestCanonicalize(t *testing.T) {
	j := validJob()
	j.Canonicalize()
	if j.Name != "web" || j.Type != TypeService || j.Namespace != DefaultNamespace || j.Region != DefaultRegion || j.Priority != DefaultPriority {
		t.Errorf("job defaults: %+v", j)
	}
	if j.Groups[0].Network.Mode != NetworkHost || j.Groups[0].Tasks[0].KillTimeout != DefaultKillTimeout || j.Groups[0].Count != 2 {
		t.Errorf("group defaults: %+v", j.Groups[0])
	}
}

func TestValidate(t *testing.T) {
	if err := validJob().Validate(); err != nil {
		t.Fatalf("valid job: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(j *Job)
		want   string
	}{
		{"no id", func(j *Job) { j.ID = "" }, "job has no name"},
		{"bad type", func(j *Job) { j.Type = "cron" }, `job type "cron"`},
		{"bad priority", func(j *Job) { j.Priority = 101 }, "priority 101"},
		{"no groups", func(j *Job) { j.Groups = nil }, "has no group"},
		{"duplicate group", func(j *Job) { j.Groups = append(j.Groups, j.Groups[0]) }, `group "g" is defined twice`},
		{"negative count", func(j *Job) { j.Groups[0].Count = -1 }, "count -1"},
		{"no tasks", func(j *Job) { j.Groups[0].Tasks = nil }, "has no task"},
		{"duplicate port", func(j *Job) { n := j.Groups[0].Network; n.Ports = append(n.Ports, n.Ports[0]) }, `port "http" is defined twice`},
		{"bad static", func(j *Job) { j.Groups[0].Network.Ports[0].Static = 70000 }, "static port 70000"},
		{"bad mode", func(j *Job) { j.Groups[0].Network.Mode = "cni" }, `network mode "cni"`},
		{"no driver", func(j *Job) { j.Groups[0].Tasks[0].Driver = "" }, "has no driver"},
		{"unknown port label", func(j *Job) { j.Groups[0].Services[0].Port = "https" }, `service port "https"`},
		{"numeric port", func(j *Job) { j.Groups[0].Services[0].Port = "8080" }, ""},
		{"bad check type", func(j *Job) { j.Groups[0].Services[0].Checks[0].Type = "icmp" }, `check type "icmp"`},
		{"http without path", func(j *Job) { j.Groups[0].Services[0].Checks[0].Path = "" }, "http check needs a path"},
		{"short interval", func(j *Job) { j.Groups[0].Services[0].Checks[0].Interval = time.Millisecond }, "below the minimum"},
		{"script without task", func(j *Job) {
			c := j.Groups[0].Services[0].Checks[0]
			c.Type, c.Command = CheckScript, "/bin/true"
		}, "needs task"},
		{"memory_max below memory", func(j *Job) { j.Groups[0].Tasks[0].Resources = &Resources{MemoryMB: 256, MemoryMaxMB: 128} }, "memory_max 128"},
		{"template without destination", func(j *Job) { j.Groups[0].Tasks[0].Templates = []*Template{{Data: "x"}} }, "no destination"},
		{"signal without signal", func(j *Job) {
			j.Groups[0].Tasks[0].Templates = []*Template{{Data: "x", Destination: "a", ChangeMode: ChangeModeSignal}}
		}, "needs change_signal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := validJob()
			tt.mutate(j)
			err := j.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("%T is not an ErrorList", err)
			}
		})
	}
}

func TestPosAndErrors(t *testing.T) {
	for _, tc := range []struct {
		p    Pos
		want string
	}{
		{Pos{File: "a.hcl", Line: 3, Column: 7}, "a.hcl:3:7"},
		{Pos{File: "a.hcl", Line: 3}, "a.hcl:3"},
		{Pos{File: "-var x"}, "-var x"},
		{Pos{}, "-"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("%#v.String() = %q, want %q", tc.p, got, tc.want)
		}
	}
	e := Errorf(Pos{File: "a.hcl", Line: 1, Column: 2}, "bad %s", "thing")
	if e.Error() != "a.hcl:1:2: bad thing" {
		t.Errorf("Error() = %q", e.Error())
	}
	if got := AsErrorList(fmt.Errorf("wrap: %w", e)); len(got) != 1 || got[0] != e {
		t.Errorf("AsErrorList(*Error) = %v", got)
	}
	if got := AsErrorList(errors.New("plain")); len(got) != 1 || got[0].Msg != "plain" {
		t.Errorf("AsErrorList(plain) = %v", got)
	}
	if (ErrorList{}).Err() != nil || AsErrorList(nil) != nil {
		t.Error("empty list is not nil")
	}
}

func TestValue(t *testing.T) {
	v := Value{Kind: KindMap, Map: map[string]Value{
		"image": {Kind: KindString, Str: "a:1"},
		"args":  {Kind: KindList, List: []Value{{Kind: KindString, Str: "-x"}, {Kind: KindNumber, Num: 2}}},
		"ratio": {Kind: KindNumber, Num: 0.5},
		"on":    {Kind: KindBool, Bool: true},
	}}
	if s, ok := v.String("image"); !ok || s != "a:1" {
		t.Errorf("String = %q %v", s, ok)
	}
	if _, ok := v.Strings("args"); ok {
		t.Error("Strings accepted a list holding a number")
	}
	plain := v.Plain().(map[string]any)
	if plain["args"].([]any)[1] != int64(2) || plain["ratio"] != 0.5 || plain["on"] != true {
		t.Errorf("Plain = %#v", plain)
	}
	var keys []string
	v.Walk(func(key string, e Value) {
		if e.Kind == KindString {
			keys = append(keys, key+"="+e.Str)
		}
	})
	if strings.Join(keys, ",") != "args=-x,image=a:1" {
		t.Errorf("Walk visited %v", keys)
	}
}

func TestTemplateLinePos(t *testing.T) {
	tp := &Template{DataPos: Pos{Line: 5, Column: 9}, DataLines: []Pos{{Line: 6, Column: 1}, {Line: 7, Column: 3}}}
	if p := tp.LinePos(1, 4); p.Line != 7 || p.Column != 7 {
		t.Errorf("LinePos(1, 4) = %v", p)
	}
	if p := tp.LinePos(9, 0); p != tp.DataPos {
		t.Errorf("LinePos out of range = %v", p)
	}
}

func TestDefaults(t *testing.T) {
	if r := DefaultRestart(TypeBatch); r.Attempts != 3 || r.Interval != 24*time.Hour {
		t.Errorf("batch restart %+v", r)
	}
	if r := DefaultRestart(TypeService); r.Attempts != 2 || r.Interval != 30*time.Minute || r.Mode != RestartFail {
		t.Errorf("service restart %+v", r)
	}
	if DefaultReschedule(TypeSystem) != nil || !DefaultReschedule(TypeService).Unlimited {
		t.Error("reschedule defaults")
	}
	if u := DefaultUpdate(); u.MaxParallel != 1 || u.HealthCheck != HealthChecks || u.MinHealthyTime != 10*time.Second {
		t.Errorf("update %+v", u)
	}
}
