package agent_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/orbittest/testagent"
	"github.com/orbit/orbit/internal/store"
)

// The CA's key and the identity signing keys are sealed in etcd with a key
// only servers hold: the first server creates it, a second one receives it
// when it joins and signs with the CA too.
func TestSecondServerSignsWithSealedCA(t *testing.T) {
	s1 := testagent.StartConfig(t, serverConfig(t, "s1", ""))
	s2 := testagent.StartConfig(t, serverConfig(t, "s2", s1.Addr))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	raw, err := s2.Store().Get(ctx, store.CARootKey())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw.Value, []byte("PRIVATE KEY")) || bytes.Contains(raw.Value, []byte("-----BEGIN")) ||
		!bytes.HasPrefix(raw.Value, []byte("orbit-sealed:")) {
		t.Fatalf("the CA root is stored as PEM: %q", raw.Value[:min(len(raw.Value), 80)])
	}
	keys, _, err := s2.Store().List(ctx, store.SigningKeyPrefix())
	if err != nil || len(keys) == 0 {
		t.Fatalf("signing keys: %d, %v", len(keys), err)
	}
	for _, kv := range keys {
		if !bytes.HasPrefix(kv.Value, []byte("orbit-sealed:")) {
			t.Errorf("signing key %s stored in the clear", kv.Key)
		}
	}
	k1, err := os.ReadFile(filepath.Join(s1.DataDir, store.SealKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	k2, err := os.ReadFile(filepath.Join(s2.DataDir, store.SealKeyFile))
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("the joined server's seal key differs or is missing (%v)", err)
	}
	if fi, err := os.Stat(filepath.Join(s2.DataDir, store.SealKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seal key file mode: %v %v", fi, err)
	}

	// The second server opened the sealed root and signs with it.
	if s2.CA() == nil {
		t.Fatal("the second server has no CA")
	}
	c, err := s2.CA().IssueServer("signed.by.s2")
	if err != nil {
		t.Fatal(err)
	}
	if !s2.CA().Root().Equal(s1.CA().Root()) {
		t.Fatal("the servers hold different roots")
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{Roots: s1.CA().RootPool(), DNSName: "signed.by.s2"}); err != nil {
		t.Fatalf("s2's certificate does not verify against the cluster's root: %v", err)
	}
	if s2.Identity() == nil {
		t.Fatal("the second server has no identity signer")
	}
}
