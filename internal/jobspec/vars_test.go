package jobspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const varsJob = `
variable "domain" {
  type    = string
  default = "lab.example"
}
variable "replicas" {
  type    = number
  default = 1
}
variable "dcs" {
  type    = list(string)
  default = ["dc1"]
}
variable "image" {
  type = string
}
locals {
  host = "app.${var.domain}"
}
job "app" {
  datacenters = var.dcs
  group "g" {
    count = var.replicas
    task "t" {
      driver = "docker"
      config {
        image = var.image
      }
      env {
        HOST = local.host
        PORT = "${NOMAD_PORT_http}"
        ESC  = "$${literal}"
        UP   = upper(var.domain)
      }
    }
  }
}
`

func TestVariables(t *testing.T) {
	opts := Options{
		Vars: map[string]string{"replicas": "3", "image": "app:1.2"},
		VarFiles: []VarFile{
			{Name: "a.vars.hcl", Src: []byte("domain = \"a.example\"\ndcs = [\"x\", \"y\"]\n")},
			{Name: "b.vars.hcl", Src: []byte("domain = \"b.example\"\n")},
		},
	}
	j := mustParse(t, varsJob, opts)
	g := j.Groups[0]
	task := g.Tasks[0]
	if g.Count != 3 || len(j.Datacenters) != 2 {
		t.Errorf("count %d datacenters %q", g.Count, j.Datacenters)
	}
	if img, _ := task.Config.String("image"); img != "app:1.2" {
		t.Errorf("image = %q", img)
	}
	want := map[string]string{"HOST": "app.b.example", "PORT": "${NOMAD_PORT_http}", "ESC": "${literal}", "UP": "B.EXAMPLE"}
	for k, v := range want {
		if task.Env.Values[k] != v {
			t.Errorf("env %s = %q, want %q", k, task.Env.Values[k], v)
		}
	}
}

func TestVariableErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"required", Options{}, `test.nomad.hcl:14:1: variable "image" has no value`},
		{"undeclared flag", Options{Vars: map[string]string{"image": "x:1", "nope": "1"}}, `-var nope: variable "nope" is not declared`},
		{"bad number", Options{Vars: map[string]string{"image": "x:1", "replicas": "many"}}, `-var replicas: `},
		{"undeclared in file", Options{Vars: map[string]string{"image": "x:1"}, VarFiles: []VarFile{{Name: "f.hcl", Src: []byte("\nextra = 1\n")}}}, `f.hcl:2:1: var file sets "extra"`},
		{"bad var file", Options{Vars: map[string]string{"image": "x:1"}, VarFiles: []VarFile{{Name: "f.hcl", Src: []byte("a = \n")}}}, `f.hcl:1:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.nomad.hcl", []byte(varsJob), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestVarsFixtureOverride(t *testing.T) {
	f := filepath.Join(fixturesDir(t), "jobs", "good", "vars.nomad.hcl")
	src, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	j, err := Parse(f, src, Options{Vars: map[string]string{"domain": "home.arpa", "replicas": "4"}})
	if err != nil {
		t.Fatal(err)
	}
	s := j.Groups[0].Tasks[0].Services[0]
	if j.Groups[0].Count != 4 || !strings.Contains(s.Tags[1], "Host(`wiki.home.arpa`)") {
		t.Errorf("count %d tags %q", j.Groups[0].Count, s.Tags)
	}
}
