package httpkit

import (
	"net/http"
	"slices"
	"testing"
)

func TestRoutes(t *testing.T) {
	m := NewMux()
	nop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	m.Handle("GET /v1/a/{id}", nop)
	m.HandleFunc("/v1/a/", nop)
	m.Handle("PUT /v1/b", nop)
	for _, tc := range []struct {
		prefix string
		h      http.Handler
		want   []string
	}{
		{"/v1/a", m, []string{"GET /v1/a/{id}", "* /v1/a/"}},
		{"/v1/", m, []string{"GET /v1/a/{id}", "* /v1/a/", "PUT /v1/b"}},
		{"/v2/", m, nil},
		{"/x/", nop, []string{"* /x/"}},
	} {
		if got := Routes(tc.prefix, tc.h); !slices.Equal(got, tc.want) {
			t.Errorf("Routes(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}
