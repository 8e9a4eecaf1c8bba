// Command backend is the benchmark's upstream: a keep-alive HTTP server
// answering every request with a short fixed body, so the proxies, not
// the backend, are what the benchmark measures.
package main

import (
	"flag"
	"log"
	"net/http"
	"strconv"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:9001", "address to serve on")
	flag.Parse()
	body := []byte("hello from " + *addr + "\n")
	length := strconv.Itoa(len(body))
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = []string{"text/plain"}
		w.Header()["Content-Length"] = []string{length}
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
