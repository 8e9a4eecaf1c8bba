package auditlog

import (
	"reflect"
	"strings"
	"testing"
)

func TestRotation(t *testing.T) {
	tests := []struct {
		maxFiles int
		want     []step
	}{
		{1, []step{{From: "a.log"}}},
		{0, []step{{From: "a.log"}}}, // never fewer than the current file
		{2, []step{{From: "a.log.1"}, {From: "a.log", To: "a.log.1"}}},
		{4, []step{{From: "a.log.3"}, {From: "a.log.2", To: "a.log.3"}, {From: "a.log.1", To: "a.log.2"}, {From: "a.log", To: "a.log.1"}}},
	}
	for _, tt := range tests {
		if got := rotation("a.log", tt.maxFiles); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("rotation(a.log, %d) = %v, want %v", tt.maxFiles, got, tt.want)
		}
	}
}

func TestFull(t *testing.T) {
	tests := []struct {
		size, n, max int64
		want         bool
	}{
		{0, 10, 100, false},
		{90, 10, 100, false}, // exactly at the limit still fits
		{91, 10, 100, true},
		{0, 500, 100, false}, // a huge line into an empty file: no rotation for nothing
		{1, 500, 100, true},
	}
	for _, tt := range tests {
		if got := full(tt.size, tt.n, tt.max); got != tt.want {
			t.Errorf("full(%d, %d, %d) = %v, want %v", tt.size, tt.n, tt.max, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		c   Config
		ok  bool
		msg string
	}{
		{Config{Path: "/x"}, true, ""},
		{Config{}, false, "path is required"},
		{Config{Path: "/x", MaxSize: -1}, false, "max size"},
		{Config{Path: "/x", MaxFiles: -2}, false, "max_files"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
			t.Errorf("Validate(%+v) = %v, want ok=%v %q", tt.c, err, tt.ok, tt.msg)
		}
	}
}
