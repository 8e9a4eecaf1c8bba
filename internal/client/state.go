package client

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/orbit/orbit/internal/driver"
	"github.com/orbit/orbit/internal/job"
)

// localState is what the client keeps about an allocation on disk, so a
// restarted agent can re-attach to its tasks and stop it even after its
// job was purged.
type localState struct {
	Alloc   *job.Allocation           `json:"alloc"`
	Job     *job.Job                  `json:"job"`
	Ports   []job.AllocatedPort       `json:"ports"`
	Handles map[string]*driver.Handle `json:"handles,omitempty"`
	// Done marks an allocation whose tasks finished: it is not run again.
	Done bool `json:"done,omitempty"`
}

func (c *Client) stateDir() string { return filepath.Join(c.cfg.DataDir, "client", "allocs") }

func (c *Client) statePath(id string) string { return filepath.Join(c.stateDir(), id+".json") }

// saveState writes st atomically.
func (c *Client) saveState(id string, st *localState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state of allocation %s: %w", id, err)
	}
	tmp := c.statePath(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write state of allocation %s: %w", id, err)
	}
	return os.Rename(tmp, c.statePath(id))
}

// loadStates reads every allocation's saved state.
func (c *Client) loadStates() (map[string]*localState, error) {
	ents, err := os.ReadDir(c.stateDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("read client state: %w", err)
	}
	out := map[string]*localState{}
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		b, err := os.ReadFile(filepath.Join(c.stateDir(), e.Name()))
		if err != nil {
			return nil, err
		}
		var st localState
		if err := json.Unmarshal(b, &st); err != nil || st.Alloc == nil || st.Job == nil {
			c.log.Warn("skip unreadable allocation state", "alloc", id, "err", err)
			continue
		}
		out[id] = &st
	}
	return out, nil
}

func (c *Client) removeState(id string) { os.Remove(c.statePath(id)) }

// nodeID returns the configured node id or one kept in the data dir.
func (c *Client) nodeID() (string, error) {
	if c.cfg.NodeID != "" {
		return c.cfg.NodeID, nil
	}
	p := filepath.Join(c.cfg.DataDir, "client", "node-id")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	id := newUUID()
	if err := os.WriteFile(p, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write node id: %w", err)
	}
	return id, nil
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
