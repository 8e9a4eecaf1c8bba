package snapshot

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/store"
)

// FormatVersion is the version of the archive's content written by Write.
const FormatVersion = 1

// MaxArchiveBytes bounds what Read accepts (unpacked), so a hostile or
// broken upload cannot exhaust memory.
const MaxArchiveBytes = 256 << 20

// Meta describes a snapshot (the archive's meta.json).
type Meta struct {
	Format  string    // always "orbit-snapshot"
	Version int       // FormatVersion
	Index   int64     // the store revision the state was read at
	Created time.Time // when it was taken
	Keys    int       // how many keys state.jsonl holds
}

const formatName = "orbit-snapshot"

// ErrInvalid is returned by Read for an archive it cannot restore.
var ErrInvalid = errors.New("not a valid orbit snapshot")

// line is one key of state.jsonl.
type line struct {
	Key   string
	Value []byte
}

// Write writes d as an archive taken at created.
func Write(w io.Writer, d store.Dump, created time.Time) error {
	var state bytes.Buffer
	enc := json.NewEncoder(&state)
	for _, kv := range d.KVs {
		if err := enc.Encode(line{Key: kv.Key, Value: kv.Value}); err != nil {
			return fmt.Errorf("encode %s: %w", kv.Key, err)
		}
	}
	meta, err := json.MarshalIndent(Meta{Format: formatName, Version: FormatVersion, Index: d.Revision,
		Created: created.UTC(), Keys: len(d.KVs)}, "", "  ")
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{{"meta.json", meta}, {"state.jsonl", state.Bytes()}}
	var sums strings.Builder
	for _, f := range files {
		sum := sha256.Sum256(f.data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), f.name)
	}
	files = append(files, struct {
		name string
		data []byte
	}{"SHA256SUMS", []byte(sums.String())})

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o600, Size: int64(len(f.data)), ModTime: created.UTC(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write snapshot: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return fmt.Errorf("write snapshot: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// Read reads and verifies an archive written by Write.
func Read(r io.Reader) (Meta, store.Dump, error) {
	var meta Meta
	gz, err := gzip.NewReader(r)
	if err != nil {
		return meta, store.Dump{}, fmt.Errorf("%w: not gzip: %v", ErrInvalid, err)
	}
	defer gz.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(gz)
	total := int64(0)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return meta, store.Dump{}, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		if total += hdr.Size; total > MaxArchiveBytes {
			return meta, store.Dump{}, fmt.Errorf("%w: larger than %d MiB unpacked", ErrInvalid, MaxArchiveBytes>>20)
		}
		b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return meta, store.Dump{}, fmt.Errorf("%w: read %s: %v", ErrInvalid, hdr.Name, err)
		}
		files[hdr.Name] = b
	}
	if err := verify(files); err != nil {
		return meta, store.Dump{}, err
	}
	if err := json.Unmarshal(files["meta.json"], &meta); err != nil {
		return meta, store.Dump{}, fmt.Errorf("%w: meta.json: %v", ErrInvalid, err)
	}
	if meta.Format != formatName || meta.Version != FormatVersion {
		return meta, store.Dump{}, fmt.Errorf("%w: format %q version %d (this orbit reads %q version %d)",
			ErrInvalid, meta.Format, meta.Version, formatName, FormatVersion)
	}
	d := store.Dump{Revision: meta.Index}
	sc := bufio.NewScanner(bytes.NewReader(files["state.jsonl"]))
	sc.Buffer(nil, MaxArchiveBytes)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Key == "" {
			return meta, store.Dump{}, fmt.Errorf("%w: state.jsonl line %d is not a key", ErrInvalid, n)
		}
		d.KVs = append(d.KVs, store.KV{Key: l.Key, Value: l.Value})
	}
	if err := sc.Err(); err != nil {
		return meta, store.Dump{}, fmt.Errorf("%w: state.jsonl: %v", ErrInvalid, err)
	}
	if len(d.KVs) != meta.Keys {
		return meta, store.Dump{}, fmt.Errorf("%w: state.jsonl holds %d keys, meta.json says %d", ErrInvalid, len(d.KVs), meta.Keys)
	}
	return meta, d, nil
}

// verify checks every file against SHA256SUMS and that the expected files
// are there.
func verify(files map[string][]byte) error {
	sums, ok := files["SHA256SUMS"]
	if !ok {
		return fmt.Errorf("%w: no SHA256SUMS", ErrInvalid)
	}
	checked := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			return fmt.Errorf("%w: SHA256SUMS line %q", ErrInvalid, l)
		}
		data, ok := files[name]
		if !ok {
			return fmt.Errorf("%w: %s is listed but missing", ErrInvalid, name)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			return fmt.Errorf("%w: %s does not match its checksum (corrupted)", ErrInvalid, name)
		}
		checked[name] = true
	}
	for _, name := range []string{"meta.json", "state.jsonl"} {
		if !checked[name] {
			return fmt.Errorf("%w: %s missing or unchecked", ErrInvalid, name)
		}
	}
	return nil
}
