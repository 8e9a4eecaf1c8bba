package auditlog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/httpkit"
)

func record(i int) httpkit.AuditRecord {
	return httpkit.AuditRecord{Time: time.Unix(int64(i), 0).UTC(), Listener: "api", Token: "anonymous", Method: "PUT",
		Path: fmt.Sprintf("/v1/kv/k%03d", i), RemoteAddr: "127.0.0.1:5000", Status: 200, RequestID: "r"}
}

// readLines decodes every line of file.
func readLines(t *testing.T, file string) []httpkit.AuditRecord {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []httpkit.AuditRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r httpkit.AuditRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: line %q is not JSON: %v", file, sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestRotationKeepsNewestFiles writes enough records for several
// rotations and checks the files kept: at most MaxFiles, none past
// MaxSize, the newest records in order across them, the oldest dropped.
func TestRotationKeepsNewestFiles(t *testing.T) {
	line, _ := json.Marshal(record(0))
	per := 3 // records per file
	tests := []struct {
		name     string
		maxFiles int
		records  int
	}{
		{"no rotation yet", 3, 2},
		{"one rotation", 3, 4},
		{"many rotations, 3 kept", 3, 20},
		{"1 file: emptied on rotation", 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "audit.log")
			l, err := Open(Config{Path: path, MaxSize: int64(per * (len(line) + 1)), MaxFiles: tt.maxFiles}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.records {
				l.Audit(record(i))
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(path + "*")
			sort.Sort(sort.Reverse(sort.StringSlice(files))) // audit.log.2, .1, audit.log: oldest first
			wantFiles := min(tt.maxFiles, (tt.records+per-1)/per)
			if len(files) != wantFiles {
				t.Fatalf("files %v, want %d", files, wantFiles)
			}
			var got []httpkit.AuditRecord
			for _, f := range files {
				st, _ := os.Stat(f)
				if st.Size() > int64(per*(len(line)+1)) {
					t.Fatalf("%s is %d bytes, past the maximum", f, st.Size())
				}
				got = append(got, readLines(t, f)...)
			}
			kept := min(tt.records, (wantFiles-1)*per+(tt.records-1)%per+1)
			if len(got) != kept {
				t.Fatalf("%d records kept, want %d", len(got), kept)
			}
			for i, r := range got {
				if want := record(tt.records - kept + i); r != want {
					t.Fatalf("record %d = %+v, want %+v", i, r, want)
				}
			}
		})
	}
}

// TestReopenAppends: a restarted agent appends to the current file and
// counts its size, so rotation still happens at the maximum.
func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	line, _ := json.Marshal(record(0))
	cfg := Config{Path: path, MaxSize: int64(2 * (len(line) + 1)), MaxFiles: 2}
	for i := range 3 {
		l, err := Open(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Audit(record(i))
		l.Close()
		l.Audit(record(99)) // after Close: dropped
	}
	if got := readLines(t, path+".1"); len(got) != 2 || got[0] != record(0) || got[1] != record(1) {
		t.Fatalf("rotated file %+v", got)
	}
	if got := readLines(t, path); len(got) != 1 || got[0] != record(2) {
		t.Fatalf("current file %+v", got)
	}
}

func TestOpenRefusesBadPath(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(Config{Path: dir}, nil); err == nil {
		t.Fatal("a directory opened as the audit log")
	}
	if _, err := Open(Config{}, nil); err == nil {
		t.Fatal("no path accepted")
	}
}
