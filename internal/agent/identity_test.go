package agent

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/client"
	"github.com/orbit/orbit/internal/identity"
	"github.com/orbit/orbit/internal/orbittest"
)

// startAgent runs a dev agent with cfg until the test ends.
func startAgent(t *testing.T, cfg *Config) *Agent {
	t.Helper()
	a, err := New(cfg, orbittest.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false // Run returned during start: cleanup has nothing to wait for
	t.Cleanup(func() {
		cancel()
		if stopped {
			return
		}
		if err := <-done; err != nil {
			t.Errorf("agent stopped with error: %v", err)
		}
	})
	select {
	case <-a.Started():
	case err := <-done:
		stopped = true
		t.Fatalf("agent stopped during start: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("agent did not start in 60s")
	}
	return a
}

// getJSON fetches url without any token and decodes its 200 answer.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// verifyRS256 verifies token with the standard library only: the JWKS's
// RSA key decoded by hand, crypto/rsa.VerifyPKCS1v15 over header.payload.
func verifyRS256(t *testing.T, jwks map[string][]map[string]string, token string) map[string]any {
	t.Helper()
	part := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64url %q: %v", s, err)
		}
		return b
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	var h map[string]string
	if err := json.Unmarshal(part(parts[0]), &h); err != nil || h["alg"] != "RS256" {
		t.Fatalf("header %s: %v", part(parts[0]), err)
	}
	var pub *rsa.PublicKey
	for _, k := range jwks["keys"] {
		if k["kid"] == h["kid"] {
			if k["kty"] != "RSA" || k["use"] != "sig" || k["alg"] != "RS256" {
				t.Fatalf("jwk %v", k)
			}
			pub = &rsa.PublicKey{N: new(big.Int).SetBytes(part(k["n"])), E: int(new(big.Int).SetBytes(part(k["e"])).Int64())}
		}
	}
	if pub == nil {
		t.Fatalf("kid %q not in the JWKS %v", h["kid"], jwks)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], part(parts[2])); err != nil {
		t.Fatalf("signature does not verify against the JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(part(parts[1]), &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// TestWorkloadIdentityKeysArePublic: a dev agent whose authorizer denies
// every anonymous request still serves its JWKS and OIDC discovery on the
// API listener and -nomad-addr, and a token its signer issued verifies
// against them with the standard library.
func TestWorkloadIdentityKeysArePublic(t *testing.T) {
	a := startAgent(t, &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0",
		DNSAddr: "off", NomadAddr: "127.0.0.1:0", LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"},
		Authorizer: readJobsOnly{}})
	tok, err := a.Identity().Sign(identity.Workload{JobID: "web", Group: "g", AllocationID: "a1", Task: "server",
		Audience: []string{"consul.io"}}.Claims(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The client's adapter: a task's default identity with no ttl gets the
	// longest one and Nomad's default audience.
	taskTok, err := identitySigner{a.Identity()}.SignIdentity(client.WorkloadIdentity{JobID: "web", Group: "g",
		AllocationID: "a2", Task: "server"})
	if err != nil {
		t.Fatal(err)
	}
	for name, base := range map[string]string{"api": "http://" + a.HTTPAddr().String(), "nomad": "http://" + a.NomadAddr().String()} {
		t.Run(name, func(t *testing.T) {
			var jwks map[string][]map[string]string
			getJSON(t, base+"/.well-known/jwks.json", &jwks)
			claims := verifyRS256(t, jwks, tok)
			tc := verifyRS256(t, jwks, taskTok)
			if aud, _ := tc["aud"].([]any); len(aud) != 1 || aud[0] != "nomadproject.io" || tc["nomad_allocation_id"] != "a2" {
				t.Errorf("task token claims = %v", tc)
			}
			if life := tc["exp"].(float64) - tc["iat"].(float64); life != a.Identity().MaxTokenTTL().Seconds() {
				t.Errorf("task token lives %vs, want the longest %v", life, a.Identity().MaxTokenTTL())
			}
			if claims["nomad_job_id"] != "web" || claims["nomad_task"] != "server" || claims["sub"] != "global:default:web:g:server:default" {
				t.Errorf("claims = %v", claims)
			}
			var disc map[string]any
			getJSON(t, base+"/.well-known/openid-configuration", &disc)
			if disc["issuer"] != claims["iss"] || disc["jwks_uri"] != fmt.Sprint(claims["iss"], "/.well-known/jwks.json") {
				t.Errorf("discovery %v does not match the token's issuer %v", disc, claims["iss"])
			}
			// The discovery document's jwks_uri is where the keys are.
			uri, _ := disc["jwks_uri"].(string)
			var again map[string][]map[string]string
			getJSON(t, uri, &again)
			verifyRS256(t, again, tok)
			if algs, _ := disc["id_token_signing_alg_values_supported"].([]any); len(algs) != 1 || algs[0] != "RS256" {
				t.Errorf("signing algs = %v", disc["id_token_signing_alg_values_supported"])
			}
			// The rest of the listener still asks the authorizer.
			resp, err := http.Get(base + "/v1/jobs")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("anonymous /v1/jobs = %s, want 403", resp.Status)
			}
		})
	}
}

// TestTaskIdentityVerifiesAgainstJWKS: a job whose task asks for its
// identity (env and file) runs on a dev agent; the token the task sees
// verifies against the agent's JWKS with the standard library and names
// the task's allocation.
func TestTaskIdentityVerifiesAgainstJWKS(t *testing.T) {
	a := startAgent(t, &Config{Dev: true, DataDir: t.TempDir(), NodeName: "node1", HTTPAddr: "127.0.0.1:0",
		DNSAddr: "off", NomadAddr: "127.0.0.1:0", LeaseTTL: "2s", EntryPoints: map[string]string{"web": "127.0.0.1:0"}})
	nomad := "http://" + a.NomadAddr().String()
	out := t.TempDir()
	hcl := fmt.Sprintf(`job "idjob" {
  type = "batch"
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "printf %%s \"$NOMAD_TOKEN\" > %[1]s/env.tmp && mv %[1]s/env.tmp %[1]s/env && cp \"$NOMAD_SECRETS_DIR/nomad_token\" %[1]s/file"]
      }
      identity {
        env  = true
        file = true
      }
    }
  }
}`, out)
	var parsed json.RawMessage
	postJSON(t, nomad+"/v1/jobs/parse", map[string]any{"JobHCL": hcl, "Canonicalize": true}, &parsed)
	var reg map[string]any
	postJSON(t, nomad+"/v1/jobs", map[string]any{"Job": parsed}, &reg)

	var envTok, fileTok []byte
	t.Cleanup(func() {
		if t.Failed() {
			var allocs []map[string]any
			getJSON(t, nomad+"/v1/job/idjob/allocations", &allocs)
			t.Logf("allocations: %v; job registration: %v", allocs, reg)
		}
	})
	orbittest.Eventually(t, 60*time.Second, "the task wrote its tokens", func() bool {
		envTok, _ = os.ReadFile(filepath.Join(out, "env"))
		fileTok, _ = os.ReadFile(filepath.Join(out, "file"))
		return len(envTok) > 0 && len(fileTok) > 0
	})
	if string(envTok) != string(fileTok) {
		t.Errorf("NOMAD_TOKEN and secrets/nomad_token differ:\n%s\n%s", envTok, fileTok)
	}
	var jwks map[string][]map[string]string
	getJSON(t, nomad+"/.well-known/jwks.json", &jwks)
	claims := verifyRS256(t, jwks, string(envTok))
	var allocs []map[string]any
	getJSON(t, nomad+"/v1/job/idjob/allocations", &allocs)
	if len(allocs) != 1 {
		t.Fatalf("allocations = %v", allocs)
	}
	if claims["nomad_allocation_id"] != allocs[0]["ID"] || claims["nomad_job_id"] != "idjob" || claims["nomad_task"] != "t" ||
		claims["sub"] != "global:default:idjob:g:t:default" {
		t.Errorf("claims = %v, allocation %v", claims, allocs[0]["ID"])
	}
}

// postJSON posts body as JSON and decodes the 200 answer into v.
func postJSON(t *testing.T, url string, body, v any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s: %s", url, resp.Status, msg)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
}
