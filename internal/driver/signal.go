package driver

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
)

// Signal is a POSIX signal.
type Signal = syscall.Signal

var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
	"SIGKILL": syscall.SIGKILL, "SIGTERM": syscall.SIGTERM, "SIGUSR1": syscall.SIGUSR1,
	"SIGUSR2": syscall.SIGUSR2, "SIGABRT": syscall.SIGABRT, "SIGALRM": syscall.SIGALRM,
	"SIGCONT": syscall.SIGCONT, "SIGSTOP": syscall.SIGSTOP, "SIGTSTP": syscall.SIGTSTP,
	"SIGWINCH": syscall.SIGWINCH, "SIGPIPE": syscall.SIGPIPE, "SIGTTIN": syscall.SIGTTIN,
	"SIGTTOU": syscall.SIGTTOU,
}

// ParseSignal accepts a signal name with or without "SIG" ("SIGTERM",
// "term", "HUP") or a number; empty is SIGTERM, the default kill signal.
func ParseSignal(name string) (Signal, error) {
	if name == "" {
		return syscall.SIGTERM, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	up := strings.ToUpper(name)
	if !strings.HasPrefix(up, "SIG") {
		up = "SIG" + up
	}
	if s, ok := signals[up]; ok {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q", name)
}

// SignalName is the "SIGxxx" name of sig, or its number.
func SignalName(sig Signal) string {
	for name, s := range signals {
		if s == sig {
			return name
		}
	}
	return strconv.Itoa(int(sig))
}
