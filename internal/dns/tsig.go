package dns

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/orbit/orbit/internal/zone"
)

// tsigFudge is the clock skew allowed between signer and verifier (RFC
// 8945's recommended 300 s).
const tsigFudge = 300

// tsigKeys maps a key name to its key, over every zone of one table. A
// key name means one secret server-wide: when two zones give one name
// different secrets, the zone first by name wins and the other zone's
// transfers with that name fail to verify.
type tsigKeys map[string]zone.TSIGKey

// addZone adds a zone's keys to the map.
func (k tsigKeys) addZone(keys []zone.TSIGKey) {
	for _, key := range keys {
		if _, ok := k[key.Name]; !ok {
			k[key.Name] = key
		}
	}
}

// tsigProvider signs and verifies with the keys of the published table;
// it implements dns.TsigProvider for miekg's TCP server and the UDP path.
type tsigProvider struct{ s *Server }

var _ dns.TsigProvider = tsigProvider{}

func (p tsigProvider) mac(msg []byte, t *dns.TSIG) ([]byte, error) {
	key, ok := p.s.tbl.Load().tsig[strings.ToLower(t.Hdr.Name)]
	if !ok {
		return nil, dns.ErrSecret
	}
	if dns.CanonicalName(t.Algorithm) != key.AlgorithmName() {
		return nil, dns.ErrKeyAlg
	}
	raw, err := base64.StdEncoding.DecodeString(key.Secret)
	if err != nil {
		return nil, dns.ErrSecret
	}
	var h hash.Hash
	switch key.AlgorithmName() {
	case dns.HmacSHA1:
		h = hmac.New(sha1.New, raw)
	case dns.HmacSHA256:
		h = hmac.New(sha256.New, raw)
	case dns.HmacSHA384:
		h = hmac.New(sha512.New384, raw)
	case dns.HmacSHA512:
		h = hmac.New(sha512.New, raw)
	default:
		return nil, dns.ErrKeyAlg
	}
	h.Write(msg)
	return h.Sum(nil), nil
}

// Generate implements dns.TsigProvider.
func (p tsigProvider) Generate(msg []byte, t *dns.TSIG) ([]byte, error) { return p.mac(msg, t) }

// Verify implements dns.TsigProvider.
func (p tsigProvider) Verify(msg []byte, t *dns.TSIG) error {
	want, err := p.mac(msg, t)
	if err != nil {
		return err
	}
	got, err := hex.DecodeString(t.MAC)
	if err != nil || !hmac.Equal(want, got) {
		return dns.ErrSig
	}
	return nil
}

// tsigError is the TSIG error code (RFC 8945 5.2) for a verification
// failure as miekg reports it.
func tsigError(err error) uint16 {
	switch err {
	case dns.ErrSecret, dns.ErrKeyAlg:
		return dns.RcodeBadKey
	case dns.ErrTime:
		return dns.RcodeBadTime
	}
	return dns.RcodeBadSig
}

// tsigRefusal is the answer to a request whose TSIG does not verify:
// NOTAUTH with a TSIG record carrying the error and no MAC (RFC 8945
// 5.2.1-5.2.2), as PowerDNS and BIND answer.
func tsigRefusal(req *dns.Msg, err error, now time.Time) *dns.Msg {
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeNotAuth)
	if t := req.IsTsig(); t != nil {
		m.Extra = append(m.Extra, &dns.TSIG{
			Hdr:       dns.RR_Header{Name: t.Hdr.Name, Rrtype: dns.TypeTSIG, Class: dns.ClassANY},
			Algorithm: t.Algorithm, TimeSigned: uint64(now.Unix()), Fudge: tsigFudge,
			OrigId: req.Id, Error: tsigError(err),
		})
	}
	return m
}

// signReply marks reply to be signed with the key that signed req (the
// ResponseWriter or packTSIG computes the MAC).
func signReply(reply, req *dns.Msg, now time.Time) {
	t := req.IsTsig()
	reply.SetTsig(t.Hdr.Name, t.Algorithm, tsigFudge, now.Unix())
}

// zoneKey reports whether key name (verified) is one of the zone's keys,
// with the secret that verified it.
func (az *authZone) zoneKey(name string, keys tsigKeys) bool {
	name = strings.ToLower(name)
	for _, k := range az.z.TSIGKeys {
		if k.Name == name {
			return keys[name].Secret == k.Secret && keys[name].Algorithm == k.Algorithm
		}
	}
	return false
}
