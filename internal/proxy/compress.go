package proxy

import (
	"compress/gzip"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/orbit/orbit/internal/routing"
)

// compressor gzips responses for clients that accept gzip, unless the
// response is already encoded, of an excluded type, or declared shorter
// than MinResponseBodyBytes. Unlike Traefik it does not buffer to learn
// the size of a response without Content-Length: such responses are
// compressed.
type compressor struct {
	cfg      *routing.Compress
	excluded map[string]bool
	pool     sync.Pool // *gzip.Writer
}

func newCompressor(c *routing.Compress) *compressor {
	cz := &compressor{cfg: c, excluded: map[string]bool{}}
	for _, t := range c.ExcludedContentTypes {
		mt, _, err := mime.ParseMediaType(t)
		if err != nil {
			mt = strings.ToLower(strings.TrimSpace(t))
		}
		cz.excluded[mt] = true
	}
	cz.pool.New = func() any { return gzip.NewWriter(io.Discard) }
	return cz
}

func (cz *compressor) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Header.Get("Range") != "" || r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, cz: cz}
		defer gw.close()
		next.ServeHTTP(gw, r)
	})
}

func acceptsGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") || strings.TrimSpace(enc) == "*" {
			return !strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") || strings.Contains(params, "q=0.")
		}
	}
	return false
}

// gzipWriter decides at WriteHeader whether to compress.
type gzipWriter struct {
	http.ResponseWriter
	cz      *compressor
	decided bool
	gz      *gzip.Writer
}

func (g *gzipWriter) decide(code int) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified || h.Get("Content-Encoding") != "" {
		return
	}
	if mt, _, _ := mime.ParseMediaType(h.Get("Content-Type")); g.cz.excluded[mt] {
		return
	}
	if cl, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil && cl < g.cz.cfg.MinResponseBodyBytes {
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	g.gz = g.cz.pool.Get().(*gzip.Writer)
	g.gz.Reset(g.ResponseWriter)
}

func (g *gzipWriter) WriteHeader(code int) {
	if code >= 200 {
		g.decide(code)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(p []byte) (int, error) {
	if !g.decided {
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(p)
	}
	return g.ResponseWriter.Write(p)
}

// Flush pushes compressed bytes through, for streaming responses.
func (g *gzipWriter) Flush() {
	if g.gz != nil {
		g.gz.Flush()
	}
	http.NewResponseController(g.ResponseWriter).Flush()
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(io.Discard)
		g.cz.pool.Put(g.gz)
		g.gz = nil
	}
}
