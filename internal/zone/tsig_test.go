package zone

import (
	"errors"
	"strings"
	"testing"
)

func TestTSIGKeyValidate(t *testing.T) {
	const secret = "u3HmNfvSMFMkO0h+ZqWEtJmBFKc7nzE4Zx3u6Xw9qXc="
	for _, tc := range []struct {
		name    string
		key     TSIGKey
		wantErr string
		wantAlg string
	}{
		{"default algorithm", TSIGKey{Name: "Xfr-Key", Secret: secret}, "", "hmac-sha256"},
		{"sha512 with dot", TSIGKey{Name: "k", Algorithm: "HMAC-SHA512.", Secret: secret}, "", "hmac-sha512"},
		{"md5 refused", TSIGKey{Name: "k", Algorithm: "hmac-md5", Secret: secret}, "algorithm", ""},
		{"not base64", TSIGKey{Name: "k", Secret: "not base64!"}, "not base64", ""},
		{"too short", TSIGKey{Name: "k", Secret: "c2hvcnQ="}, "at least 16", ""},
		{"bad name", TSIGKey{Name: "a b", Secret: secret}, "tsig key name", ""},
	} {
		k := tc.key
		err := k.Validate()
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v, want an ErrInvalid naming %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || k.Algorithm != tc.wantAlg || !strings.HasSuffix(k.Name, ".") || k.Name != strings.ToLower(k.Name) {
			t.Errorf("%s: %+v %v", tc.name, k, err)
		}
	}
	z := Zone{Name: "lab.example.", TSIGKeys: []TSIGKey{{Name: "k.", Secret: secret}, {Name: "K", Secret: secret}}}
	z.SetDefaults()
	if err := z.Validate(); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Errorf("duplicate keys: %v", err)
	}
	z.TSIGKeys = z.TSIGKeys[:1]
	if r := z.Redacted(); r.TSIGKeys[0].Secret != "" || z.TSIGKeys[0].Secret != secret {
		t.Errorf("Redacted: %+v, original %+v", r.TSIGKeys, z.TSIGKeys)
	}
}

func TestDNSSECKey(t *testing.T) {
	a, err := GenerateDNSSEC("lab.example.")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateDNSSEC("lab.example.")
	mixed := *a
	mixed.PublicKey = b.PublicKey
	for _, tc := range []struct {
		name    string
		d       DNSSEC
		wantErr string
	}{
		{"generated", *a, ""},
		{"algorithm defaulted", DNSSEC{PublicKey: a.PublicKey, PrivateKey: a.PrivateKey}, ""},
		{"other algorithm", DNSSEC{Algorithm: "RSASHA256", PublicKey: a.PublicKey, PrivateKey: a.PrivateKey}, "only ECDSAP256SHA256"},
		{"keys of two pairs", mixed, "does not match"},
		{"garbage private key", DNSSEC{PublicKey: a.PublicKey, PrivateKey: "nonsense"}, "private key"},
	} {
		d := tc.d
		err := d.Validate("lab.example.")
		if (tc.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.wantErr)
		}
	}
	z := Zone{Name: "lab.example.", DNSSEC: a}
	if r := z.Redacted(); r.DNSSEC.PrivateKey != "" || z.DNSSEC.PrivateKey == "" || r.DNSSEC.PublicKey != a.PublicKey {
		t.Errorf("Redacted: %+v", r.DNSSEC)
	}
}
