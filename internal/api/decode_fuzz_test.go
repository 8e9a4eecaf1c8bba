package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orbit/orbit/internal/httpkit"
)

// FuzzDecodeRegistration feeds arbitrary bodies to the service registration
// decoder: it must never panic, and every rejection must be a 400 (bad
// request or invalid), never an internal error.
func FuzzDecodeRegistration(f *testing.F) {
	for _, seed := range []string{
		`{"Name":"web","Port":80}`,
		`{"name":"web","check":{"http":"http://127.0.0.1/","interval":"10s"}}`,
		`{"Name":"web","Checks":[{"TTL":"10s"},{"TCP":"127.0.0.1:1","Interval":10000000000}]}`,
		`{"Name":"web","Meta":{"a_b":"c"},"TaggedAddresses":{"lan":{"Address":"1.2.3.4","Port":1}}}`,
		`{"Name":"web","Weights":{"Passing":3,"Warning":1}}`,
		`{"Name":"web","Check":{"Args":["x"],"Interval":"1s"}}`,
		`[1,2,3]`, `null`, `{"Name":`, `{"Port":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	s := &Server{cfg: Config{NodeName: "n", Datacenter: "dc1"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("PUT", "/v1/agent/service/register", strings.NewReader(string(body)))
		var in serviceIn
		err := decodeBody(r, &in)
		if err == nil {
			_, _, err = s.toInstance("n", &in)
		}
		if err != nil && httpkit.StatusOf(err) != 400 {
			t.Fatalf("body %q: error %v maps to %d, want 400", body, err, httpkit.StatusOf(err))
		}
	})
}
