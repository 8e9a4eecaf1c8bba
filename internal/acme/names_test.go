package acme

import (
	"slices"
	"testing"

	"github.com/orbit/orbit/internal/routing"
)

func TestWanted(t *testing.T) {
	svc := func(name string, tags ...string) routing.ServiceInstances {
		return routing.ServiceInstances{Name: name, Instances: []routing.Instance{{ID: name + "-1", Node: "n1", Address: "127.0.0.1", Port: 1,
			Tags: append([]string{"traefik.enable=true"}, tags...), Status: routing.StatusPassing}}}
	}
	rt := routing.Build(routing.Config{EntryPoints: []routing.EntryPoint{{Name: "websecure", TLS: true}}}, []routing.ServiceInstances{
		svc("a", "traefik.http.routers.a.rule=Host(`A.lab.example`) || Host(`b.lab.example`)", "traefik.http.routers.a.tls.certresolver=le"),
		svc("c", "traefik.http.routers.c.rule=Host(`c.lab.example`)", "traefik.http.routers.c.tls.certresolver=le",
			"traefik.http.routers.c.tls.domains[0].main=*.lab.example", "traefik.http.routers.c.tls.domains[0].sans=lab.example,a.lab.example"),
		svc("d", "traefik.http.routers.d.rule=Host(`d.lab.example`)", "traefik.http.routers.d.tls.certresolver=internal"),
		svc("e", "traefik.http.routers.e.rule=Host(`e.lab.example`)", "traefik.http.routers.e.tls=true"),
		svc("f", "traefik.http.routers.f.rule=!Host(`f.lab.example`)", "traefik.http.routers.f.tls.certresolver=other"),
		svc("g", "traefik.http.routers.g.rule=Host(`g.lab.example`) &&", "traefik.http.routers.g.tls.certresolver=le"),
	})
	got := Wanted(rt, map[string]bool{"le": true, "other": true})
	want := map[string][]string{"le": {"*.lab.example", "a.lab.example", "b.lab.example", "lab.example"}}
	if len(got) != len(want) || !slices.Equal(got["le"], want["le"]) {
		t.Errorf("Wanted = %v, want %v", got, want)
	}
	if got := Wanted(nil, map[string]bool{"le": true}); len(got) != 0 {
		t.Errorf("Wanted(nil) = %v", got)
	}
}
