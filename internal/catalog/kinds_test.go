package catalog

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestInstanceKinds(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     Instance
		valid  bool
		dest   string
		native bool
	}{
		{"typical", Instance{Name: "web", ID: "web"}, true, "", false},
		{"proxy", Instance{Name: "p", ID: "p", Kind: KindConnectProxy, Proxy: json.RawMessage(`{"DestinationServiceName":"web"}`)}, true, "web", false},
		{"proxy without destination", Instance{Name: "p", ID: "p", Kind: KindConnectProxy}, false, "", false},
		{"proxy with a bad block", Instance{Name: "p", ID: "p", Kind: KindConnectProxy, Proxy: json.RawMessage(`[1]`)}, false, "", false},
		{"proxy block on a typical service", Instance{Name: "w", ID: "w", Proxy: json.RawMessage(`{"DestinationServiceName":"web"}`)}, true, "", false},
		{"mesh gateway", Instance{Name: "g", ID: "g", Kind: KindMeshGateway}, true, "", false},
		{"unknown kind", Instance{Name: "g", ID: "g", Kind: "teleporter"}, false, "", false},
		{"native", Instance{Name: "r", ID: "r", Connect: json.RawMessage(`{"Native":true}`)}, true, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.in.Validate()
			if tc.valid != (err == nil) {
				t.Fatalf("Validate: %v, want valid %v", err, tc.valid)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			if got := tc.in.ProxyDestination(); got != tc.dest {
				t.Errorf("ProxyDestination %q, want %q", got, tc.dest)
			}
			if got := tc.in.ConnectNative(); got != tc.native {
				t.Errorf("ConnectNative %v, want %v", got, tc.native)
			}
		})
	}
}
