package agent

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// A stage is a group of components that start together and stop together.
// Each stage has its own context, so stopping one leaves the others
// running until their turn.
type stage struct {
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // counts the stage's running components
}

// lifecycle starts components in stages and stops the stages in reverse
// order of creation, each one completely (every component returned)
// before the next: the listeners stop accepting and drain, then the
// workers stop, then the view; the store closes after all of them.
type lifecycle struct {
	base   context.Context // values for the stages' contexts, not their cancellation
	log    *slog.Logger
	errc   chan error // the first component failures
	stages []*stage
	// stopping, when set (by tests), is called as each stage begins to stop.
	stopping func(name string)
}

func newLifecycle(ctx context.Context, log *slog.Logger, stopping func(string)) *lifecycle {
	return &lifecycle{base: context.WithoutCancel(ctx), log: log, errc: make(chan error, 16), stopping: stopping}
}

// stage opens the next stage; it stops before every stage opened earlier.
func (l *lifecycle) stage(name string) *stage {
	ctx, cancel := context.WithCancel(l.base)
	s := &stage{name: name, ctx: ctx, cancel: cancel}
	l.stages = append(l.stages, s)
	return s
}

// run starts component name in stage s. A component that fails while its
// stage is running reports on errc; an error after its stage was told to
// stop is only logged.
func (l *lifecycle) run(s *stage, name string, f func(context.Context) error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := f(s.ctx)
		switch {
		case err == nil:
		case s.ctx.Err() == nil:
			select {
			case l.errc <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		default:
			l.log.Warn("component stopped with an error", "stage", s.name, "component", name, "err", err)
		}
	}()
}

// runner is run bound to one stage, in the shape features are started with.
func (l *lifecycle) runner(s *stage) func(string, func(context.Context) error) {
	return func(name string, f func(context.Context) error) { l.run(s, name, f) }
}

// stop stops the stages, newest first, each completely before the next.
func (l *lifecycle) stop() {
	for i := len(l.stages) - 1; i >= 0; i-- {
		s := l.stages[i]
		if l.stopping != nil {
			l.stopping(s.name)
		}
		s.cancel()
		s.wg.Wait()
		l.log.Debug("stage stopped", "stage", s.name)
	}
	l.stages = nil
}
