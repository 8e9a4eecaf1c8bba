// Package anomaly is Netdata's machine-learning anomaly detection, per
// metric, as pure code: feature vectors made from the last samples
// (difference, smoothing over 3, 5 lags), k-means with k = 2 trained on a
// sliding window of history, several models kept, and an anomaly bit per
// sample set only when every kept model scores the sample at or above the
// dimension anomaly score threshold (0.99 of the min–max range of that
// model's training distances).
//
// It is not a collector, a store or a scheduler: it starts no goroutine,
// reads no clock and keeps no history beyond the last 9 values of a metric.
// The caller (the metrics collector) feeds every sample to
// Dimension.Observe, asks Dimension.TrainDue(now) and, when due, hands
// Dimension.Train the metric's stored history; a Dimension is used by one
// goroutine at a time.
//
// Imported by the metrics feature and by the agent, which parses the
// `metrics { ml { ... } }` block into a Config through Block.
package anomaly
