package acllogin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var attrName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// Identity is what a verified token says about its bearer, by attribute
// name: ClaimMappings fill Values, ListClaimMappings fill Lists. Every
// mapped attribute is present (empty when its claim is absent), so
// selectors and bind names may name it.
type Identity struct {
	Values map[string]string
	Lists  map[string][]string
}

// MapClaims maps a token's claims to the identity's attributes. A claim
// name starting with "/" is a JSON pointer into nested claims
// ("/groups/0", "/https:~1~1example.com~1team"). A value claim must be a
// string, number or bool; a list claim a list of those (or one of them).
func MapClaims(cfg *JWTConfig, claims map[string]any) (Identity, error) {
	id := Identity{Values: map[string]string{}, Lists: map[string][]string{}}
	for claim, attr := range cfg.ClaimMappings {
		id.Values[attr] = ""
		v, ok := lookup(claims, claim)
		if !ok {
			continue
		}
		s, ok := scalar(v)
		if !ok {
			return Identity{}, fmt.Errorf("%w: claim %q is not a string, number or bool", ErrBadToken, claim)
		}
		id.Values[attr] = s
	}
	for claim, attr := range cfg.ListClaimMappings {
		id.Lists[attr] = []string{}
		v, ok := lookup(claims, claim)
		if !ok {
			continue
		}
		items, isList := v.([]any)
		if !isList {
			items = []any{v}
		}
		for _, it := range items {
			s, ok := scalar(it)
			if !ok {
				return Identity{}, fmt.Errorf("%w: list claim %q holds a value that is not a string, number or bool", ErrBadToken, claim)
			}
			id.Lists[attr] = append(id.Lists[attr], s)
		}
	}
	return id, nil
}

// lookup finds a claim by name or JSON pointer.
func lookup(claims map[string]any, name string) (any, bool) {
	if !strings.HasPrefix(name, "/") {
		v, ok := claims[name]
		return v, ok && v != nil
	}
	var cur any = claims
	for _, tok := range strings.Split(name[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, cur != nil
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

// selectable is the identity as selectors see it: value.<attr> and
// list.<attr>.
func (id Identity) selectable() map[string]any {
	values := make(map[string]any, len(id.Values))
	for k, v := range id.Values {
		values[k] = v
	}
	lists := make(map[string]any, len(id.Lists))
	for k, l := range id.Lists {
		items := make([]any, len(l))
		for i, s := range l {
			items[i] = s
		}
		lists[k] = items
	}
	return map[string]any{"value": values, "list": lists}
}
