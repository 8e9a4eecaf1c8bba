package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/orbit/orbit/internal/agent"
)

func cmdAgent(ctx context.Context, e *Env, args []string) int {
	fs := newFlagSet(e, "agent")
	cfg, err := agent.ParseFlags(args, fs)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "orbit agent: %v\n", err)
		return 2
	}
	log := agent.NewLogger(cfg, e.Stderr)
	a, err := agent.New(cfg, log)
	if err != nil {
		fmt.Fprintf(e.Stderr, "orbit agent: %v\n", err)
		return 2
	}
	if err := a.Run(ctx); err != nil {
		log.Error("agent stopped with an error", "err", err)
		return 1
	}
	return 0
}

func cmdVersion(ctx context.Context, e *Env, args []string) int {
	fmt.Fprintf(e.Stdout, "orbit v%s\n", agent.Version)
	return 0
}
