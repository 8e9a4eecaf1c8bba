package agent

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// TestNodeIDAndMetaFlags checks -node-id and -node-meta, alone and over a
// config file (flags win, meta merges), and that a malformed id is refused.
func TestNodeIDAndMetaFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "agent.hcl")
	if err := os.WriteFile(file, []byte("node_id = \"11111111-2222-3333-4444-555555555555\"\nnode_meta = { rack = \"r1\" }\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const id = "0a6a0e73-9a4f-4d2b-b3a6-a1f6c3a1e001"
	for _, tc := range []struct {
		name   string
		args   []string
		wantID string
		meta   map[string]string
	}{
		{"flags", []string{"-node-id", id, "-node-meta", "a:1", "-node-meta", "b:x:y"}, id, map[string]string{"a": "1", "b": "x:y"}},
		{"file", []string{"-config", file}, "11111111-2222-3333-4444-555555555555", map[string]string{"rack": "r1"}},
		{"flags over file", []string{"-config", file, "-node-id", id, "-node-meta", "a:1"}, id, map[string]string{"rack": "r1", "a": "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseFlags(tc.args, flag.NewFlagSet("agent", flag.ContinueOnError))
			if err != nil {
				t.Fatal(err)
			}
			if c.NodeID != tc.wantID || len(c.NodeMeta) != len(tc.meta) {
				t.Fatalf("id %q meta %v, want %q %v", c.NodeID, c.NodeMeta, tc.wantID, tc.meta)
			}
			for k, v := range tc.meta {
				if c.NodeMeta[k] != v {
					t.Fatalf("meta %v, want %v", c.NodeMeta, tc.meta)
				}
			}
		})
	}
	c, err := ParseFlags([]string{"-dev", "-node-id", "not-a-uuid"}, flag.NewFlagSet("agent", flag.ContinueOnError))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Defaults(); err == nil {
		t.Error("a malformed -node-id was accepted")
	}
	if _, err := ParseFlags([]string{"-node-meta", "novalue"}, flag.NewFlagSet("agent", flag.ContinueOnError)); err == nil {
		t.Error("-node-meta without a colon was accepted")
	}
}
