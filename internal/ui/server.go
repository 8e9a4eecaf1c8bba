package ui

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/httpkit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// FragmentHeader asks for a page's content instead of its shell.
const FragmentHeader = "X-Orbit-Fragment"

// IndexHeader is the view revision a fragment was rendered at.
const IndexHeader = "X-Orbit-Index"

// maxWait bounds a blocking fragment request.
const maxWait = 5 * time.Minute

// defaultWait is the wait of a blocking fragment request without ?wait.
const defaultWait = 30 * time.Second

// Server serves the UI. It is safe for concurrent use and holds no state
// between requests.
type Server struct {
	deps   Deps
	kit    *httpkit.Kit
	log    *slog.Logger
	clock  clockwork.Clock
	tpl    *template.Template
	static http.Handler
	pages  map[string]*page
}

// page is one screen: its title, its place in the navigation, whether its
// shell carries a filter box, and how its content is rendered.
type page struct {
	name   string // template name and first path segment
	title  string
	nav    bool // listed in the navigation
	filter bool
	render func(rc *reqCtx) (any, error)
}

// New returns the UI handler, to be mounted at Prefix.
func New(d Deps) (*Server, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	s := &Server{deps: d, kit: httpkit.New(d.Logger, d.Auth, d.Clock)}
	s.log, s.clock = s.kit.Log, s.kit.Clock
	tpl, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: parse templates: %w", err)
	}
	s.tpl = tpl
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	s.static = http.StripPrefix(Prefix+"/static/", http.FileServerFS(sub))
	s.pages = map[string]*page{}
	for _, p := range s.pageList() {
		s.pages[p.name] = p
	}
	return s, nil
}

// ServeHTTP answers /ui, /ui/, /ui/static/... and /ui/<page>/...
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, Prefix)
	switch {
	case path == "":
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
		return
	case strings.HasPrefix(path, "/static/"):
		w.Header().Set("Cache-Control", "no-cache")
		s.static.ServeHTTP(w, r)
		return
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the UI only reads: writes go to the API", http.StatusMethodNotAllowed)
		return
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	name := segs[0]
	if name == "" {
		name = "overview"
	}
	p, ok := s.pages[name]
	if !ok {
		http.Error(w, fmt.Sprintf("no UI page %q", name), http.StatusNotFound)
		return
	}
	if r.Header.Get(FragmentHeader) == "" {
		s.shell(w, r, p)
		return
	}
	s.fragment(w, r, p, segs[1:])
}

// shell is the page without data: it needs no token.
func (s *Server) shell(w http.ResponseWriter, r *http.Request, p *page) {
	type navItem struct {
		Name, Title string
		Current     bool
	}
	var nav []navItem
	for _, q := range s.pageList() {
		if q.nav {
			nav = append(nav, navItem{Name: q.name, Title: q.title, Current: q == p})
		}
	}
	data := map[string]any{"Title": p.title, "Name": p.name, "Filter": p.filter, "Nav": nav, "Node": s.deps.Node, "DC": s.deps.Datacenter, "Q": r.URL.Query().Get("q")}
	s.write(w, r, "shell", data, http.StatusOK)
}

// fragment renders a page's content for the request's token, first
// waiting, when asked with ?index, until the view passes that index.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, p *page, rest []string) {
	q := r.URL.Query()
	if idx, err := strconv.ParseUint(q.Get("index"), 10, 64); err == nil && idx > 0 {
		wait := defaultWait
		if d, err := time.ParseDuration(q.Get("wait")); err == nil && d > 0 {
			wait = min(d, maxWait)
		}
		ctx, cancel := context.WithTimeout(r.Context(), wait)
		_ = s.deps.View.WaitRevision(ctx, int64(idx)+1) // a timeout answers the unchanged page
		cancel()
		if r.Context().Err() != nil {
			return
		}
	}
	rev := s.deps.View.Revision()
	rc := &reqCtx{s: s, r: r, rest: rest, q: q}
	data, err := p.render(rc)
	if err != nil {
		code := httpkit.StatusOf(err)
		msg := httpkit.Public(err, code)
		if code >= 500 {
			s.log.Error("ui render failed", "page", p.name, "err", err)
		}
		w.Header().Set(IndexHeader, strconv.FormatUint(rev, 10))
		s.write(w, r, "error", map[string]any{"Code": code, "Message": msg}, code)
		return
	}
	w.Header().Set(IndexHeader, strconv.FormatUint(rev, 10))
	w.Header().Set("Vary", FragmentHeader)
	name := p.name
	if t, ok := data.(interface{ tplName() string }); ok {
		name = t.tplName()
	}
	s.write(w, r, name, data, http.StatusOK)
}

// write executes a template into a buffer first, so a failing template
// answers 500 instead of half a page.
func (s *Server) write(w http.ResponseWriter, r *http.Request, name string, data any, code int) {
	var buf bytes.Buffer
	if err := s.tpl.ExecuteTemplate(&buf, name, data); err != nil {
		s.kit.Fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}
