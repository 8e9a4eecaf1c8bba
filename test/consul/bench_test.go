package consul_test

import (
	"io"
	"net/http"
	"testing"

	capi "github.com/hashicorp/consul/api"

	"github.com/orbit/orbit/internal/orbittest/testagent"
)

// BenchmarkHealthServicePassing measures one /v1/health/service read over
// loopback HTTP, the path Traefik and Prometheus poll.
func BenchmarkHealthServicePassing(b *testing.B) {
	a := testagent.Start(b)
	c, _ := capi.NewClient(&capi.Config{Address: a.Addr})
	if err := c.Agent().ServiceRegister(&capi.AgentServiceRegistration{ID: "web-1", Name: "web", Port: 80,
		Check: &capi.AgentServiceCheck{CheckID: "t", TTL: "1h", Status: "passing"}}); err != nil {
		b.Fatal(err)
	}
	url := a.URL + "/v1/health/service/web?passing"
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
