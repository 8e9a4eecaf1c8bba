package cli

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

func cmdSnapshot(ctx context.Context, e *Env, args []string) int {
	return subcommand(ctx, e, "snapshot", args, map[string]func(context.Context, *Env, []string) int{
		"save":    cmdSnapshotSave,
		"restore": cmdSnapshotRestore,
	})
}

// progress reports bytes moved to w every step bytes and at the end.
type progress struct {
	w        io.Writer
	verb     string
	total    int64 // 0 when unknown
	done     int64
	reported int64
	step     int64
}

func (p *progress) add(n int) {
	p.done += int64(n)
	if p.done-p.reported >= p.step {
		p.reported = p.done
		p.print()
	}
}

func (p *progress) print() {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s %s of %s (%d%%)\n", p.verb, size(p.done), size(p.total), p.done*100/p.total)
		return
	}
	fmt.Fprintf(p.w, "%s %s\n", p.verb, size(p.done))
}

func size(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

// cmdSnapshotSave saves the store's snapshot to FILE (written whole, then
// renamed into place) and checks the archive's gzip stream is intact.
func cmdSnapshotSave(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "snapshot save")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit snapshot save [flags] FILE")
		return 2
	}
	file := fs.Arg(0)
	c := client()
	req, err := c.newRequest(ctx, "GET", "/v1/snapshot", nil)
	if err != nil {
		return fail(e, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fail(e, fmt.Errorf("cannot reach the orbit agent at %s: %w", c.base, err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fail(e, &apiError{Status: resp.StatusCode, Message: string(msg)})
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".*.tmp")
	if err != nil {
		return fail(e, fmt.Errorf("snapshot save: %w", err))
	}
	defer os.Remove(tmp.Name())
	p := &progress{w: e.Stderr, verb: "Saved", total: resp.ContentLength, step: 1 << 20}
	_, err = io.Copy(tmp, progressReader{resp.Body, p})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkGzip(tmp.Name())
	}
	if err == nil {
		err = os.Rename(tmp.Name(), file)
	}
	if err != nil {
		return fail(e, fmt.Errorf("snapshot save %s: %w", file, err))
	}
	p.print()
	fmt.Fprintf(e.Stdout, "Saved and verified snapshot to index %s in %s\n", resp.Header.Get("X-Consul-Index"), file)
	return 0
}

// checkGzip reads the file's gzip stream to its end, which checks its CRC.
func checkGzip(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("not a snapshot archive: %w", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return fmt.Errorf("archive damaged in transit: %w", err)
	}
	return nil
}

// cmdSnapshotRestore uploads FILE; the agent replaces the whole state with
// it in one transaction, or nothing.
func cmdSnapshotRestore(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "snapshot restore")
	client := addressFlags(fs, e)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.Stderr, "usage: orbit snapshot restore [flags] FILE")
		return 2
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fail(e, fmt.Errorf("snapshot restore: %w", err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fail(e, fmt.Errorf("snapshot restore: %w", err))
	}
	p := &progress{w: e.Stderr, verb: "Sent", total: st.Size(), step: 1 << 20}
	c := client()
	req, err := c.newRequest(ctx, "PUT", "/v1/snapshot", progressReader{f, p})
	if err != nil {
		return fail(e, err)
	}
	req.ContentLength = st.Size()
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return fail(e, fmt.Errorf("cannot reach the orbit agent at %s: %w", c.base, err))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		if resp.StatusCode/100 == 4 {
			fmt.Fprintln(e.Stderr, "The restore was refused; nothing was changed.")
		}
		return fail(e, &apiError{Status: resp.StatusCode, Message: string(msg)})
	}
	p.print()
	fmt.Fprintf(e.Stdout, "Restored snapshot %s (store index now %s)\n", fs.Arg(0), resp.Header.Get("X-Consul-Index"))
	return 0
}
