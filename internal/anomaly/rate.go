package anomaly

// Rate counts anomaly bits: a metric's over a period, or a node's or a
// chart's over its metrics at one instant (Netdata's anomaly rate).
type Rate struct {
	Anomalous, Total uint64
}

// Add counts one bit.
func (r *Rate) Add(anomalous bool) {
	r.Total++
	if anomalous {
		r.Anomalous++
	}
}

// Merge adds another rate's counts (a chart's metrics into the chart).
func (r *Rate) Merge(o Rate) {
	r.Anomalous += o.Anomalous
	r.Total += o.Total
}

// Percent is the share of anomalous bits, 0–100; 0 when nothing was counted.
func (r Rate) Percent() float64 {
	if r.Total == 0 {
		return 0
	}
	return 100 * float64(r.Anomalous) / float64(r.Total)
}
