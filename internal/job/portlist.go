package job

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePortList parses a reserved_ports value as Nomad writes it: ports
// and inclusive ranges separated by commas ("22,80,8000-8100"). An empty
// string is no port.
func ParsePortList(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := parsePortNumber(lo)
		if err != nil {
			return nil, fmt.Errorf("reserved ports %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = parsePortNumber(hi); err != nil {
				return nil, fmt.Errorf("reserved ports %q: %w", s, err)
			}
			if b < a {
				return nil, fmt.Errorf("reserved ports %q: range %s ends before it starts", s, part)
			}
		}
		for p := a; p <= b; p++ {
			out = append(out, p)
		}
	}
	return out, nil
}

func parsePortNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q is not a port (1-65535)", s)
	}
	return n, nil
}
