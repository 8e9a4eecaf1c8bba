package snapshot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/store"
)

func TestArchiveRoundTrip(t *testing.T) {
	d := store.Dump{Revision: 42, KVs: []store.KV{
		{Key: "/orbit/kv/a", Value: []byte("1")},
		{Key: "/orbit/kv/bin", Value: []byte{0, 1, 2, 0xff, '\n'}},
		{Key: "/orbit/nodes/n1", Value: []byte(`{"Name":"n1"}`)},
	}}
	at := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	if err := Write(&buf, d, at); err != nil {
		t.Fatal(err)
	}
	meta, got, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if meta.Index != 42 || meta.Keys != 3 || !meta.Created.Equal(at) || meta.Version != FormatVersion {
		t.Fatalf("meta = %+v", meta)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("read %+v, want %+v", got, d)
	}
}

// rewrite unpacks an archive, lets edit change its files, and packs it again.
func rewrite(t *testing.T, archive []byte, edit func(files map[string][]byte)) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	var order []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		var b bytes.Buffer
		b.ReadFrom(tr)
		files[hdr.Name] = b.Bytes()
		order = append(order, hdr.Name)
	}
	edit(files)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for _, n := range order {
		if data, ok := files[n]; ok {
			tw.WriteHeader(&tar.Header{Name: n, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg})
			tw.Write(data)
		}
	}
	tw.Close()
	zw.Close()
	return out.Bytes()
}

func TestReadRefusesBrokenArchives(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, store.Dump{Revision: 1, KVs: []store.KV{{Key: "/orbit/kv/a", Value: []byte("1")}}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		archive []byte
		want    string
	}{
		{"not gzip", []byte("hello"), "not gzip"},
		{"truncated", good.Bytes()[:good.Len()/2], "orbit snapshot"},
		{"state changed", rewrite(t, good.Bytes(), func(f map[string][]byte) { f["state.jsonl"] = []byte(`{"Key":"/orbit/kv/b"}` + "\n") }), "checksum"},
		{"no sums", rewrite(t, good.Bytes(), func(f map[string][]byte) { delete(f, "SHA256SUMS") }), "no SHA256SUMS"},
		{"state missing", rewrite(t, good.Bytes(), func(f map[string][]byte) { delete(f, "state.jsonl") }), "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tt.archive))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Read = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}
