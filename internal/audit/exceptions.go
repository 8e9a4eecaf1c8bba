package audit

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orbit/orbit/internal/report"
)

// This file reads exceptions in instance meta by internal/policy's
// convention for job meta (the key orbit-exception-<rule> or
// orbit-policy-exception-<rule>, "." and "_" read as "-"; the value
// "legacy|external|compliance: reason"). policy keeps its reader private,
// so exceptions_test.go checks that both read every form alike.

// exceptionRule returns the rule id a meta key excepts, if it is an
// exception key.
func exceptionRule(key string) (string, bool) {
	norm := strings.NewReplacer(".", "-", "_", "-").Replace(strings.ToLower(key))
	for _, p := range []string{"orbit-exception-", "orbit-policy-exception-"} {
		if rest, ok := strings.CutPrefix(norm, p); ok {
			return rest, true
		}
	}
	return "", false
}

// validException checks a declared exception "category: reason".
func validException(value string) bool {
	cat, reason, ok := strings.Cut(value, ":")
	cat = strings.ToLower(strings.TrimSpace(cat))
	return ok && (cat == "legacy" || cat == "external" || cat == "compliance") && strings.TrimSpace(reason) != ""
}

// lookupException finds the exception meta declares for rule: its key and
// value, and whether the value is valid.
func lookupException(meta map[string]string, rule string) (key, value string, found, valid bool) {
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if id, ok := exceptionRule(k); ok && id == rule {
			return k, meta[k], true, validException(meta[k])
		}
	}
	return "", "", false, false
}

// applyException marks f excepted when every meta declares a valid
// exception for its rule; a malformed one is pointed out in the message.
func applyException(f *report.Finding, metas []map[string]string) {
	if len(metas) == 0 {
		return
	}
	reason := ""
	for _, m := range metas {
		key, value, found, valid := lookupException(m, f.Rule)
		switch {
		case found && !valid:
			f.Message += fmt.Sprintf(" (the exception %s = %q does not count: write \"category: reason\" with a category (legacy, external, compliance) and a reason)", key, value)
			return
		case !found:
			return
		case reason == "":
			reason = strings.TrimSpace(value)
		}
	}
	f.Severity = report.Info
	f.Exception = reason
	f.Message += " (excepted: " + reason + ")"
}
