// Command webapp is the small HTTP server the driver, client and benchmark
// tests run as a task. It listens on -addr (default ":$NOMAD_PORT_http"),
// answers /health, /env (its environment as JSON), /pid and /file?path=, prints
// the signals it receives, and can allocate memory or exit on request.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "", "listen address (default :$NOMAD_PORT_http)")
	allocMB := flag.Int("alloc-mb", 0, "allocate and touch this many MiB at start")
	exitAfter := flag.Duration("exit-after", 0, "exit with -exit-code after this long")
	exitCode := flag.Int("exit-code", 0, "exit code for -exit-after")
	grace := flag.Duration("grace", 0, "wait this long after SIGTERM/SIGINT before exiting")
	flag.Parse()
	// Catch signals before anything can answer: a test that sees /health
	// may signal at once, and an uncaught SIGINT kills the process.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	if *addr == "" {
		*addr = ":" + os.Getenv("NOMAD_PORT_http")
	}
	if *allocMB > 0 {
		hog := make([][]byte, 0, *allocMB)
		for i := 0; i < *allocMB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			hog = append(hog, b)
		}
		fmt.Println("allocated", len(hog), "MiB")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(2)
	}
	fmt.Println("listening on", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/env", func(w http.ResponseWriter, _ *http.Request) {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		json.NewEncoder(w).Encode(env)
	})
	mux.HandleFunc("/pid", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, os.Getpid()) })
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(r.URL.Query().Get("path"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Write(b)
	})
	go http.Serve(ln, mux)
	var exit <-chan time.Time
	if *exitAfter > 0 {
		exit = time.After(*exitAfter)
	}
	for {
		select {
		case <-exit:
			fmt.Println("exiting with code", *exitCode)
			os.Exit(*exitCode)
		case s := <-sigs:
			fmt.Printf("got %v at %d\n", s, time.Now().UnixNano())
			if s == syscall.SIGTERM || s == syscall.SIGINT {
				time.Sleep(*grace)
				os.Exit(0)
			}
		}
	}
}
