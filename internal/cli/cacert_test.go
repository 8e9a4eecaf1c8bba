package cli

import (
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With ORBIT_CACERT the CLI verifies an https:// agent against that file,
// alone and in a failover list; without it the agent's private CA is
// refused, and an unreadable file names the variable.
func TestCACertTrustsAnHTTPSAgent(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out struct{ OK bool }
	if _, err := newAPIClient(srv.URL, "").do(ctx, "GET", "/", nil, &out); err == nil {
		t.Fatal("an agent with an unknown CA was trusted")
	}
	for _, addrs := range []string{srv.URL, "https://127.0.0.1:1," + srv.URL} {
		c := newAPIClient(addrs, "")
		c.trustCA(file)
		out.OK = false
		if _, err := c.do(ctx, "GET", "/", nil, &out); err != nil || !out.OK {
			t.Fatalf("%s with ORBIT_CACERT: %v %v", addrs, out, err)
		}
	}
	c := newAPIClient(srv.URL, "")
	c.trustCA(filepath.Join(t.TempDir(), "missing.pem"))
	if _, err := c.do(ctx, "GET", "/", nil, &out); err == nil || !strings.Contains(err.Error(), "ORBIT_CACERT") {
		t.Fatalf("missing CA file: %v, want an error naming ORBIT_CACERT", err)
	}
}
