package proxy

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// accessLog writes one JSON line per request with Traefik's field names.
func (s *Server) accessLog(ex *exchange, r *http.Request, status int, d time.Duration) {
	attrs := []slog.Attr{
		slog.String("ClientHost", ex.clientIPString()),
		slog.String("RequestMethod", r.Method),
		slog.String("RequestHost", r.Host),
		slog.String("RequestPath", r.URL.RequestURI()),
		slog.String("RequestProtocol", r.Proto),
		slog.String("entryPointName", ex.ep.Name),
		slog.String("RouterName", ex.route.r.Name),
		slog.String("ServiceName", ex.route.r.ServiceName),
		slog.Int("DownstreamStatus", status),
		slog.Int64("DownstreamContentSize", ex.rec.bytes),
		slog.Int64("Duration", int64(d)),
		slog.Int("RetryAttempts", max(len(ex.tried)-1, 0)),
	}
	if n := len(ex.tried); n > 0 {
		attrs = append(attrs, slog.String("ServiceURL", ex.tried[n-1].backendURL()))
	}
	s.access.LogAttrs(context.Background(), slog.LevelInfo, "access", attrs...)
}
