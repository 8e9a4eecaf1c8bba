package httpkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// DrainTimeout is how long Serve lets in-flight requests finish once its
// context ends, before it closes their connections.
const DrainTimeout = 5 * time.Second

// Serve serves h on ln until ctx ends, then stops accepting and drains
// in-flight requests for up to DrainTimeout. Request contexts derive from
// ctx, so blocking queries end at once when it does. name labels the log
// lines and audit records ("api", "nomad-api"); every request is offered
// to audit (Audited). It returns nil after a drain, or the error that
// stopped serving.
func Serve(ctx context.Context, name string, ln net.Listener, h http.Handler, log *slog.Logger, audit Audit) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hs := &http.Server{Handler: Audited(name, h, audit), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "listener", name, "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("%s: serve on %s: %w", name, ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DrainTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		log.Warn("drain timed out; closing connections", "listener", name, "err", err)
		hs.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: serve on %s: %w", name, ln.Addr(), err)
	}
	return nil
}
