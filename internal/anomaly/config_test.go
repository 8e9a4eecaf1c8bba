package anomaly

import (
	"strings"
	"testing"
	"time"
)

func TestBlockConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		block   *Block
		want    Config // only the three settings are compared
		wantErr string
	}{
		{"absent block: Netdata's defaults", nil, Config{TrainingWindow: 6 * time.Hour, MinTrainingWindow: 15 * time.Minute, TrainEvery: 3 * time.Hour}, ""},
		{"test settings", &Block{TrainingWindow: "2m", MinTrainingWindow: "30s", TrainEvery: "1m"},
			Config{TrainingWindow: 2 * time.Minute, MinTrainingWindow: 30 * time.Second, TrainEvery: time.Minute}, ""},
		{"one setting", &Block{TrainEvery: "1h"}, Config{TrainingWindow: 6 * time.Hour, MinTrainingWindow: 15 * time.Minute, TrainEvery: time.Hour}, ""},
		{"not a duration", &Block{TrainingWindow: "six hours"}, Config{}, `ml training_window "six hours": want a positive duration`},
		{"negative", &Block{TrainEvery: "-3h"}, Config{}, `ml train_every "-3h": want a positive duration`},
		{"minimum above the window", &Block{TrainingWindow: "10m"}, Config{}, "ml training_window 10m0s: want at least min_training_window (15m0s)"},
		{"minimum under one feature vector", &Block{MinTrainingWindow: "5s"}, Config{}, "ml min_training_window 5s: want at least 9 samples (9s)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.block.Config()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.TrainingWindow != tc.want.TrainingWindow || got.MinTrainingWindow != tc.want.MinTrainingWindow || got.TrainEvery != tc.want.TrainEvery {
				t.Errorf("got %v/%v/%v, want %v/%v/%v", got.TrainingWindow, got.MinTrainingWindow, got.TrainEvery,
					tc.want.TrainingWindow, tc.want.MinTrainingWindow, tc.want.TrainEvery)
			}
			if got.Models != DefaultModels || got.Threshold != DefaultThreshold || got.Step != time.Second {
				t.Errorf("defaults not filled: %+v", got)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	ok := Config{}.WithDefaults()
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"defaults", func(*Config) {}, ""},
		{"no step", func(c *Config) { c.Step = -1 }, "ml step"},
		{"train_every under a step", func(c *Config) { c.TrainEvery = time.Millisecond }, "ml train_every"},
		{"no model", func(c *Config) { c.Models = -1 }, "ml models"},
		{"threshold above 1", func(c *Config) { c.Threshold = 1.5 }, "ml threshold"},
		{"sampling ratio 0", func(c *Config) { c.SamplingRatio = -0.1 }, "ml sampling ratio"},
		{"no iterations", func(c *Config) { c.MaxIterations = -2 }, "ml k-means iterations"},
		{"negative suppression", func(c *Config) { c.SuppressionThreshold = -1 }, "no negative value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.change(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
