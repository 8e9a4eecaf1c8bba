package metrics

import (
	"fmt"
	"regexp"

	"github.com/orbit/orbit/internal/metrics/tsdb"
)

// StreamPath is where a parent agent takes its children's samples: GET
// answers what the parent holds of a child (?host=NODE), POST carries the
// child's stream (flate-compressed gob frames, one per interval).
const StreamPath = "/v1/metrics/stream"

// frame is one batch of a child's stream: the charts defined or changed
// since the previous frame, then rows of raw samples as the child's store
// took them. An empty frame is a heartbeat.
type frame struct {
	Charts []tsdb.Chart
	Rows   []row
}

// row is one chart's samples at one second.
type row struct {
	Chart string
	T     int64
	V     []float64
	A     []bool // nil: none anomalous
}

// streamState is the parent's answer to GET StreamPath: the newest second
// it holds of each of the child's charts, where replication starts.
type streamState struct {
	Host   string           `json:"host"`
	Charts map[string]int64 `json:"charts"`
}

var hostName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// checkHost validates a child's host name.
func checkHost(h string) error {
	if !hostName.MatchString(h) {
		return fmt.Errorf("host %q: want a node name (letters, digits, '.', '_', '-'; at most 128)", h)
	}
	return nil
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}
