package proxy

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/orbit/orbit/internal/catalog"
)

// TestBackendConnectionsAreReused: under concurrent keep-alive load the
// proxy keeps its connections to a backend open instead of dialing per
// request.
func TestBackendConnectionsAreReused(t *testing.T) {
	e := startEdge(t, Config{}, nil)
	var dials atomic.Int64
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	}))
	be.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			dials.Add(1)
		}
	}
	be.Start()
	t.Cleanup(be.Close)
	e.register("ka", "ka-1", portOfURL(be.URL), catalog.Passing)
	c := e.client()
	e.waitFor(c, "http://ka/", 200)
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range 100 {
				resp, err := c.Get("http://ka/")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := dials.Load(); n > 128 {
		t.Fatalf("6,400 requests from 64 clients opened %d backend connections", n)
	}
}
