package anomaly

import (
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	for _, tc := range []struct {
		name         string
		newer, older Rate
		fail         bool
		why          string
	}{
		{"too few bits to judge", Rate{Anomalous: 59, Total: 59}, Rate{}, false, "fewer than 60"},
		{"new ones calm", Rate{Anomalous: 5, Total: 100}, Rate{Total: 100}, false, "under 10%"},
		{"new ones anomalous, old ones calm", Rate{Anomalous: 30, Total: 100}, Rate{Anomalous: 1, Total: 100}, true, "the old ones 1.0%"},
		{"exactly at the threshold", Rate{Anomalous: 10, Total: 100}, Rate{Total: 100}, true, "10.0% anomalous"},
		{"both anomalous: the node, not the version", Rate{Anomalous: 30, Total: 100}, Rate{Anomalous: 20, Total: 100}, false, "the old ones too"},
		{"no old allocations: judged alone", Rate{Anomalous: 30, Total: 100}, Rate{}, true, "30.0% anomalous"},
	} {
		fail, why := Gate(tc.newer, tc.older)
		if fail != tc.fail || !strings.Contains(why, tc.why) {
			t.Errorf("%s: Gate = %v, %q; want %v, ...%q...", tc.name, fail, why, tc.fail, tc.why)
		}
	}
}
