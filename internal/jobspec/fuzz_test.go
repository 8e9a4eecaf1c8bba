package jobspec

import (
	"errors"
	"testing"

	"github.com/orbit/orbit/internal/job"
)

// FuzzParse checks that no input makes the parser panic, that every error
// carries a position, and that every accepted job validates. The seed corpus
// is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullJob))
	f.Add([]byte(varsJob))
	f.Add([]byte(`job "x" { group "g" { task "t" { driver = "raw_exec" } } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		j, err := Parse("fuzz.nomad.hcl", src, Options{Vars: map[string]string{"image": "x:1"}})
		if err != nil {
			var list job.ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v is not a non-empty job.ErrorList", err)
			}
			for _, e := range list {
				if e.Pos.File == "" {
					t.Fatalf("error without a file: %v", e)
				}
			}
			return
		}
		if j == nil {
			t.Fatal("nil job without an error")
		}
		if err := j.Validate(); err != nil {
			t.Fatalf("accepted job does not validate: %v", err)
		}
	})
}
