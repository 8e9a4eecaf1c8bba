package anomaly

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzDimension feeds any series (NaN, infinities, huge values included)
// through observation and training: nothing panics, scores stay in
// [0, 100] or are NaN, and at most Models models are kept.
func FuzzDimension(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, uint8(3))
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(1))), uint8(1))
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.MaxFloat64)), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, models uint8) {
		cfg := Config{MinTrainingWindow: 9 * time.Second, TrainingWindow: time.Minute, TrainEvery: 5 * time.Second,
			Models: int(models%4) + 1, SamplingRatio: 1}.WithDefaults()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		d := NewDimension(&cfg)
		now := time.Unix(0, 0)
		var history []float64
		for i := 0; i+8 <= len(data) && i < 8*2000; i += 8 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(data[i:]))
			// replay the series a few times so training has enough values
			for range 3 {
				now = now.Add(time.Second)
				history = append(history, v)
				d.Observe(v)
				if d.TrainDue(now) {
					_ = d.Train(now, history)
				}
			}
		}
		if len(d.Models()) > cfg.Models {
			t.Fatalf("%d models kept, want at most %d", len(d.Models()), cfg.Models)
		}
		var probe Vector
		for i := range probe {
			probe[i] = float64(i) * 1e3
		}
		for _, m := range d.Models() {
			if s := m.Score(probe); !math.IsNaN(s) && (s < 0 || s > 100) {
				t.Fatalf("score %v out of [0, 100]", s)
			}
		}
		_ = Extract(nil, history, nil)
	})
}
