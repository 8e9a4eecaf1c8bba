package routing

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// parseBool accepts the spellings strconv.ParseBool does ("true", "1", ...).
func parseBool(v string) (bool, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean", v)
	}
	return b, nil
}

func parseInt(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", v)
	}
	return n, nil
}

func parseNonNegative(v string) (int64, error) {
	n, err := parseInt(v)
	if err == nil && n < 0 {
		err = fmt.Errorf("%d is negative", n)
	}
	return n, err
}

func parsePort(v string) (int, error) {
	n, err := parseInt(v)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d is outside 1-65535", n)
	}
	return int(n), nil
}

// parseDuration accepts a Go duration ("250ms", "1m") or, as Traefik does,
// a plain integer number of seconds.
func parseDuration(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(time.Duration(1<<62)/time.Second) {
			return 0, fmt.Errorf("duration %q is out of range", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration", v)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", v)
	}
	return d, nil
}

// parseList splits a comma-separated value, trimming spaces and dropping
// empty items.
func parseList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Normalize turns a service name into a DNS-label-friendly name the way
// Traefik's `normalize` template function does: runs of characters that
// are neither letters nor digits become a single "-", and leading and
// trailing ones are dropped ("my_app.v2" becomes "my-app-v2").
func Normalize(name string) string {
	return strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}), "-")
}
