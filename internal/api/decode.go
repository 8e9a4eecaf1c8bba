package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/httpkit"
)

// maxBody bounds request bodies (Consul's KV limit is 512 KiB; registrations
// are far smaller).
const maxBody = 1 << 20

// userMaps are keys whose children are user data, never field names.
var userMaps = map[string]bool{"meta": true, "nodemeta": true, "servicemeta": true, "header": true,
	"taggedaddresses": true, "servicetaggedaddresses": true, "proxy": true, "connect": true}

// decodeBody reads a JSON body into out the way Consul does: field names
// match case-insensitively, snake_case aliases (deregister_critical_service_after)
// are accepted, and durations may be strings ("10s") or nanoseconds.
func decodeBody(r *http.Request, out any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpkit.BadRequest("request body larger than %d bytes", maxBody)
		}
		return httpkit.BadRequest("read request body: %v", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return httpkit.BadRequest("request body is empty; expected a JSON object")
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return httpkit.BadRequest("request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return httpkit.BadRequest("request body has data after the JSON value")
	}
	norm, err := json.Marshal(normalizeKeys(raw, false))
	if err != nil {
		return httpkit.BadRequest("request body: %v", err)
	}
	if err := json.Unmarshal(norm, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return httpkit.BadRequest("request body: field %q must be %s, not %s", te.Field, te.Type, te.Value)
		}
		return httpkit.BadRequest("request body: %v", err)
	}
	return nil
}

// normalizeKeys lowercases object keys and drops underscores, so that
// "DeregisterCriticalServiceAfter", "deregistercriticalserviceafter" and
// "deregister_critical_service_after" all decode into the same field.
// Children of user maps (Meta, Header, ...) keep their keys.
func normalizeKeys(v any, userData bool) any {
	switch x := v.(type) {
	case map[string]any:
		if userData {
			for k, c := range x {
				x[k] = normalizeKeys(c, true)
			}
			return x
		}
		out := make(map[string]any, len(x))
		for k, c := range x {
			nk := strings.ToLower(strings.ReplaceAll(k, "_", ""))
			out[nk] = normalizeKeys(c, userMaps[nk])
		}
		return out
	case []any:
		for i, c := range x {
			x[i] = normalizeKeys(c, userData)
		}
		return x
	}
	return v
}

// duration decodes Consul's durations: "10s", "1m30s", or a number of
// nanoseconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*d = 0
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return httpkit.BadRequest("invalid duration %q (use Go syntax such as \"10s\" or \"1m\")", s)
		}
		*d = duration(v)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return httpkit.BadRequest("invalid duration %s", b)
	}
	*d = duration(n)
	return nil
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// checkIn is a check as Consul's agent and catalog endpoints accept it.
type checkIn struct {
	ID                             string
	CheckID                        string
	Name                           string
	Notes                          string
	Status                         string
	Output                         string
	ServiceID                      string
	Args                           []string
	ScriptArgs                     []string
	Interval                       duration
	Timeout                        duration
	TTL                            duration
	HTTP                           string
	Header                         map[string][]string
	Method                         string
	Body                           string
	TCP                            string
	TCPUseTLS                      bool
	GRPC                           string
	GRPCUseTLS                     bool
	TLSServerName                  string
	TLSSkipVerify                  bool
	SuccessBeforePassing           int
	FailuresBeforeWarning          int
	FailuresBeforeCritical         int
	DeregisterCriticalServiceAfter duration
	DockerContainerID              string
	AliasNode                      string
	AliasService                   string
	H2Ping                         string
	UDP                            string
	OSService                      string
	Definition                     *checkIn
}

// serviceIn is a service registration (agent endpoint) or a catalog
// registration's service.
type serviceIn struct {
	Kind            string
	ID              string
	Name            string
	Service         string // the catalog endpoint's name field
	Tags            []string
	Port            int
	Address         string
	TaggedAddresses map[string]struct {
		Address string
		Port    int
	}
	EnableTagOverride bool
	Meta              map[string]string
	Weights           *weightsJSON
	Check             *checkIn
	Checks            []*checkIn
	Connect           json.RawMessage
	Proxy             json.RawMessage
	Locality          *catalog.Locality
	SocketPath        string
}

// catalogIn is a catalog registration.
type catalogIn struct {
	ID              string
	Node            string
	Address         string
	Datacenter      string
	TaggedAddresses map[string]string
	NodeMeta        map[string]string
	Service         *serviceIn
	Check           *checkIn
	Checks          []*checkIn
	SkipNodeUpdate  bool
}

// catalogOut is a catalog deregistration.
type catalogOut struct {
	Node       string
	Datacenter string
	ServiceID  string
	CheckID    string
}

func (c *checkIn) String() string {
	if c.CheckID != "" {
		return fmt.Sprintf("check %q", c.CheckID)
	}
	return fmt.Sprintf("check %q", c.Name)
}
