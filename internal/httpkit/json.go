package httpkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// WriteJSON answers code with v as JSON, indented with ?pretty (as Consul
// and Nomad do). v is encoded before anything is written, so an error
// (a value that cannot be encoded) can still be answered by the caller; a
// failed write means the client left and is not an error.
func WriteJSON(w http.ResponseWriter, r *http.Request, code int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if _, ok := r.URL.Query()["pretty"]; ok {
		enc.SetIndent("", "    ")
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode answer: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	w.Write(buf.Bytes())
	return nil
}
