package anomaly

import (
	"fmt"
	"time"
)

// The anomaly gate of a rolling deployment (`update { anomaly_gate = true }`)
// looks at the anomaly bits of the allocations' own metrics (their
// cgroup charts, scored by models trained on those same metrics' history)
// over the last GateWindow.
const (
	// GateWindow is how far back the gate looks.
	GateWindow = time.Minute
	// GateThreshold is the anomaly rate, in percent of the bits counted,
	// at which allocations count as anomalous.
	GateThreshold = 10.0
	// GateMinBits is how many bits the new allocations must have before
	// the gate decides anything (a minute of one metric).
	GateMinBits = 60
)

// Gate decides a deployment's anomaly gate from the anomaly bits of the
// new version's allocations and of the old version's still running, over
// the same window. It fails the deployment when the new ones' rate
// reaches GateThreshold while the old ones' stays below it: a disturbance
// of the whole node touches both and fails nothing. Without old
// allocations the new ones are judged alone. why says what was seen.
func Gate(newer, older Rate) (fail bool, why string) {
	if newer.Total < GateMinBits {
		return false, fmt.Sprintf("%d anomaly bits of the new allocations, fewer than %d", newer.Total, GateMinBits)
	}
	n := newer.Percent()
	if n < GateThreshold {
		return false, fmt.Sprintf("new allocations %.1f%% anomalous, under %.0f%%", n, GateThreshold)
	}
	if older.Total > 0 && older.Percent() >= GateThreshold {
		return false, fmt.Sprintf("new allocations %.1f%% anomalous, but the old ones too (%.1f%%)", n, older.Percent())
	}
	if older.Total == 0 {
		return true, fmt.Sprintf("new allocations %.1f%% anomalous over the last %s", n, GateWindow)
	}
	return true, fmt.Sprintf("new allocations %.1f%% anomalous over the last %s, the old ones %.1f%%", n, GateWindow, older.Percent())
}
