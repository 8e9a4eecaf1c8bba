package acl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// AuthMethodJWT is the one auth method type orbit supports: Consul's
// "jwt" (a bearer JWT verified with configured keys or a JWKS URL).
const AuthMethodJWT = "jwt"

// Bind types of a binding rule, as Consul names them.
const (
	BindService = "service"
	BindRole    = "role"
	BindNode    = "node"
	BindPolicy  = "policy"
)

// AuthMethod is an ACL auth method as Consul's API shows it. Config is
// the type's own configuration (for "jwt": JWKSURL or
// JWTValidationPubKeys, BoundIssuer, BoundAudiences, ClaimMappings, ...),
// checked by the login package. MaxTokenTTL travels as a duration string
// ("1h"), as consul/api encodes it.
type AuthMethod struct {
	Name          string
	Type          string
	DisplayName   string         `json:",omitempty"`
	Description   string         `json:",omitempty"`
	MaxTokenTTL   time.Duration  `json:"-"`
	TokenLocality string         `json:",omitempty"`
	Config        map[string]any `json:",omitempty"`
	CreateIndex   uint64
	ModifyIndex   uint64
}

// authMethodJSON is AuthMethod's wire shape: MaxTokenTTL as a string.
type authMethodJSON struct {
	Name          string
	Type          string
	DisplayName   string         `json:",omitempty"`
	Description   string         `json:",omitempty"`
	MaxTokenTTL   string         `json:",omitempty"`
	TokenLocality string         `json:",omitempty"`
	Config        map[string]any `json:",omitempty"`
	CreateIndex   uint64
	ModifyIndex   uint64
}

// MarshalJSON writes MaxTokenTTL as a duration string.
func (m AuthMethod) MarshalJSON() ([]byte, error) {
	w := authMethodJSON{Name: m.Name, Type: m.Type, DisplayName: m.DisplayName, Description: m.Description,
		TokenLocality: m.TokenLocality, Config: m.Config, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex}
	if m.MaxTokenTTL != 0 {
		w.MaxTokenTTL = m.MaxTokenTTL.String()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads MaxTokenTTL as a duration string or nanoseconds.
func (m *AuthMethod) UnmarshalJSON(b []byte) error {
	var w struct {
		authMethodJSON
		MaxTokenTTL json.RawMessage
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*m = AuthMethod{Name: w.Name, Type: w.Type, DisplayName: w.DisplayName, Description: w.Description,
		TokenLocality: w.TokenLocality, Config: w.Config, CreateIndex: w.CreateIndex, ModifyIndex: w.ModifyIndex}
	raw := strings.TrimSpace(string(w.MaxTokenTTL))
	switch {
	case raw == "" || raw == "null" || raw == `""`:
	case strings.HasPrefix(raw, `"`):
		var s string
		if err := json.Unmarshal(w.MaxTokenTTL, &s); err != nil {
			return err
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("MaxTokenTTL: %w", err)
		}
		m.MaxTokenTTL = d
	default:
		var n int64
		if err := json.Unmarshal(w.MaxTokenTTL, &n); err != nil {
			return fmt.Errorf("MaxTokenTTL: %w", err)
		}
		m.MaxTokenTTL = time.Duration(n)
	}
	return nil
}

// BindingRule maps identities an auth method verified to rights: when
// Selector (the filter language over value.<attr> and list.<attr>)
// matches, the login token gets BindType BindName, with ${value.<attr>}
// replaced by the identity's values.
type BindingRule struct {
	ID          string
	Description string
	AuthMethod  string
	Selector    string
	BindType    string
	BindName    string
	CreateIndex uint64
	ModifyIndex uint64
}

var authMethodName = regexp.MustCompile(`^[A-Za-z0-9\-_]{1,128}$`)

// ValidateAuthMethod checks an auth method's name, type, locality and
// TTL (its Config is the login package's to check).
func ValidateAuthMethod(m *AuthMethod) error {
	if !authMethodName.MatchString(m.Name) {
		return fmt.Errorf("%w: Invalid Auth Method: invalid Name. Only alphanumeric characters, '-' and '_' are allowed", ErrInvalid)
	}
	if m.Type != AuthMethodJWT {
		return fmt.Errorf("%w: Invalid Auth Method: Type should be one of: [%s]", ErrInvalid, AuthMethodJWT)
	}
	switch m.TokenLocality {
	case "", "local", "global":
	default:
		return fmt.Errorf("%w: Invalid Auth Method: TokenLocality should be one of 'local' or 'global'", ErrInvalid)
	}
	if m.MaxTokenTTL != 0 && (m.MaxTokenTTL < time.Minute || m.MaxTokenTTL > 24*time.Hour) {
		return fmt.Errorf("%w: Invalid Auth Method: MaxTokenTTL should be in the range 1m0s to 24h0m0s", ErrInvalid)
	}
	return nil
}

// NodeIdentity grants a token the rights of one node (Consul's node
// identity): write on the node, read on every service.
type NodeIdentity struct {
	NodeName   string
	Datacenter string
}

// NodeIdentityPolicy is the policy a node identity grants, as Consul
// synthesizes it.
func NodeIdentityPolicy(n NodeIdentity) Policy {
	rules := fmt.Sprintf(`node %q {
  policy = "write"
}
service_prefix "" {
  policy = "read"
}
`, n.NodeName)
	return Policy{ID: "synthetic-node-" + n.NodeName, Name: "synthetic-policy-node-" + n.NodeName, Rules: rules}
}
