package api

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash"
	"hash/fnv"
	"reflect"
	"strings"

	capi "github.com/hashicorp/consul/api"
)

// Consul's ContentHash of /v1/agent/service/:id (the X-Consul-ContentHash
// header and ?hash= blocking) is mitchellh/hashstructure v1 over the
// api.AgentService it answers, printed in hex. Clients compare hashes they
// saw from Consul with orbit's, so orbit computes the same: the answer is
// decoded into consul/api's AgentService (the struct Consul's agent
// hashes) and hashed field by field as hashstructure v1 does — FNV-64 (FNV-1),
// a struct's fields combined without order, lists with order, maps
// without, nil as the number 0.

// contentHash is the ContentHash of an agent service answer.
func contentHash(sj *agentServiceJSON) (string, error) {
	b, err := json.Marshal(sj)
	if err != nil {
		return "", fmt.Errorf("encode service %q for its hash: %w", sj.ID, err)
	}
	var as capi.AgentService
	if err := json.Unmarshal(b, &as); err != nil {
		return "", fmt.Errorf("decode service %q for its hash: %w", sj.ID, err)
	}
	as.ContentHash, as.CreateIndex, as.ModifyIndex = "", 0, 0
	h := fnv.New64()
	return fmt.Sprintf("%x", hashV1(h, reflect.ValueOf(as), false)), nil
}

// hashV1 is hashstructure v1's visit with its default options.
func hashV1(h hash.Hash64, v reflect.Value, set bool) uint64 {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if !v.IsValid() {
		v = reflect.ValueOf(0)
	}
	switch v.Kind() {
	case reflect.Int:
		v = reflect.ValueOf(v.Int())
	case reflect.Uint:
		v = reflect.ValueOf(v.Uint())
	case reflect.Bool:
		var b int8
		if v.Bool() {
			b = 1
		}
		v = reflect.ValueOf(b)
	}
	k := v.Kind()
	if k >= reflect.Int && k <= reflect.Complex64 {
		h.Reset()
		_ = binary.Write(h, binary.LittleEndian, v.Interface())
		return h.Sum64()
	}
	switch k {
	case reflect.String:
		return hashString(h, v.String())
	case reflect.Array, reflect.Slice:
		var out uint64
		for i := range v.Len() {
			cur := hashV1(h, v.Index(i), false)
			if set {
				out ^= cur
			} else {
				out = hashOrdered(h, out, cur)
			}
		}
		return out
	case reflect.Map:
		var out uint64
		iter := v.MapRange()
		for iter.Next() {
			out ^= hashOrdered(h, hashV1(h, iter.Key(), false), hashV1(h, iter.Value(), false))
		}
		return out
	case reflect.Struct:
		t := v.Type()
		out := hashString(h, t.Name())
		for i := range v.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("hash")
			if f.PkgPath != "" || tag == "ignore" || tag == "-" {
				continue
			}
			fh := hashOrdered(h, hashString(h, f.Name), hashV1(h, v.Field(i), tag == "set"))
			out ^= fh
		}
		return out
	}
	// Kinds an AgentService does not hold (funcs, channels): hashstructure
	// refuses them; the hash of their kind keeps the result defined.
	return hashString(h, strings.ToLower(k.String()))
}

func hashString(h hash.Hash64, s string) uint64 {
	h.Reset()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

func hashOrdered(h hash.Hash64, a, b uint64) uint64 {
	h.Reset()
	_ = binary.Write(h, binary.LittleEndian, a)
	_ = binary.Write(h, binary.LittleEndian, b)
	return h.Sum64()
}
