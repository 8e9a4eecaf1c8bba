package catalog

import (
	"errors"
	"testing"
	"time"
)

func TestAggregate(t *testing.T) {
	c := func(s Status) *Check { return &Check{Status: s} }
	tests := []struct {
		name   string
		checks []*Check
		want   Status
	}{
		{"none is passing", nil, Passing},
		{"all passing", []*Check{c(Passing), c(Passing)}, Passing},
		{"warning wins over passing", []*Check{c(Passing), c(Warning)}, Warning},
		{"critical wins", []*Check{c(Warning), c(Critical), c(Passing)}, Critical},
		{"maintenance worst", []*Check{c(Critical), c(Maintenance)}, Maintenance},
		{"unknown counts as critical", []*Check{c(Warning), c("bogus")}, "bogus"},
	}
	for _, tt := range tests {
		if got := Aggregate(tt.checks); got != tt.want {
			t.Errorf("%s: Aggregate = %q, want %q", tt.name, got, tt.want)
		}
	}
	if !Passing.AtLeast(Warning) || Critical.AtLeast(Warning) || !Warning.AtLeast(Warning) {
		t.Error("AtLeast ordering wrong")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		err  error
	}{
		{"empty service", (&Instance{}).Validate()},
		{"slash id", (&Instance{Name: "web", ID: "a/b"}).Validate()},
		{"bad port", (&Instance{Name: "web", ID: "w", Port: 70000}).Validate()},
		{"no node name", (&Node{Address: "1.2.3.4"}).Validate()},
		{"no node address", (&Node{Name: "n"}).Validate()},
		{"two types", (&CheckDefinition{HTTP: "http://x", TCP: "x:1", Interval: time.Second}).Validate()},
		{"http without interval", (&CheckDefinition{HTTP: "http://x"}).Validate()},
		{"bad status", (&Check{CheckID: "c", Name: "c", Status: "fine"}).Validate()},
		{"negative threshold", (&CheckDefinition{TTL: time.Second, FailuresBeforeCritical: -1}).Validate()},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.name, tt.err)
		}
	}
	ok := []error{
		(&Instance{Name: "web", ID: "web-1", Port: 8080}).Validate(),
		(&Node{Name: "n1", Address: "127.0.0.1"}).Validate(),
		(&Check{CheckID: "c", Name: "c", Status: Critical, Definition: CheckDefinition{TTL: time.Second}}).Validate(),
		(&CheckDefinition{TCP: "127.0.0.1:1", Interval: time.Second}).Validate(),
	}
	for i, err := range ok {
		if err != nil {
			t.Errorf("valid case %d: %v", i, err)
		}
	}
}

func TestKVEnvelope(t *testing.T) {
	for _, v := range [][]byte{nil, {}, []byte("hello"), {0, 1, 2}} {
		f, got, err := DecodeKV(EncodeKV(42, v))
		if err != nil || f != 42 || string(got) != string(v) {
			t.Errorf("round trip %q: flags %d value %q err %v", v, f, got, err)
		}
	}
	if _, _, err := DecodeKV([]byte{2, 0}); err == nil {
		t.Error("corrupt envelope accepted")
	}
}
