package acllogin

import (
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/orbit/orbit/internal/acl"
)

// ErrBadToken is a bearer token that does not verify; Error() says why.
var ErrBadToken = fmt.Errorf("%w: invalid bearer token", acl.ErrDenied)

// Verify checks a bearer JWT with the method's keys: its configured
// public keys, or set (the JWKS fetched from JWKSURL; nil otherwise). It
// checks the signature with an accepted algorithm, the issuer, the
// audiences and the times (with the leeways) at now, and returns the
// token's claims as encoding/json decodes them.
func Verify(cfg *JWTConfig, set *jose.JSONWebKeySet, token string, now time.Time) (map[string]any, error) {
	tok, err := jwt.ParseSigned(token, cfg.algs())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadToken, err)
	}
	var std jwt.Claims
	var all map[string]any
	if err := claimsWithAnyKey(tok, cfg, set, &std, &all); err != nil {
		return nil, err
	}
	if cfg.BoundIssuer != "" && std.Issuer != cfg.BoundIssuer {
		return nil, fmt.Errorf("%w: issuer %q is not the bound issuer", ErrBadToken, std.Issuer)
	}
	if err := checkAudience(cfg.BoundAudiences, std.Audience); err != nil {
		return nil, err
	}
	skew := leeway(cfg.ClockSkewLeeway, 60*time.Second)
	if std.Expiry != nil && !now.Before(std.Expiry.Time().Add(skew+leeway(cfg.ExpirationLeeway, 150*time.Second))) {
		return nil, fmt.Errorf("%w: token is expired", ErrBadToken)
	}
	if std.NotBefore != nil && now.Before(std.NotBefore.Time().Add(-skew-leeway(cfg.NotBeforeLeeway, 150*time.Second))) {
		return nil, fmt.Errorf("%w: token is not valid yet", ErrBadToken)
	}
	if std.IssuedAt != nil && now.Before(std.IssuedAt.Time().Add(-skew)) {
		return nil, fmt.Errorf("%w: token was issued in the future", ErrBadToken)
	}
	return all, nil
}

// claimsWithAnyKey decodes the claims with the key that verifies them.
func claimsWithAnyKey(tok *jwt.JSONWebToken, cfg *JWTConfig, set *jose.JSONWebKeySet, dest ...any) error {
	var keys []any
	switch {
	case set != nil:
		kid := ""
		if len(tok.Headers) > 0 {
			kid = tok.Headers[0].KeyID
		}
		for _, k := range set.Keys {
			if kid == "" || k.KeyID == kid {
				keys = append(keys, k.Key)
			}
		}
		if len(keys) == 0 {
			return fmt.Errorf("%w: no key in the JWKS has the token's key id %q", ErrBadToken, kid)
		}
	default:
		for _, k := range cfg.pubKeys {
			keys = append(keys, crypto.PublicKey(k))
		}
	}
	var last error
	for _, k := range keys {
		err := tok.Claims(k, dest...)
		if err == nil {
			return nil
		}
		last = err
	}
	if errors.Is(last, jose.ErrCryptoFailure) || last != nil {
		return fmt.Errorf("%w: no known key verifies the signature", ErrBadToken)
	}
	return nil
}

// checkAudience requires one of the token's audiences to be bound; a
// token with audiences is refused by a method that binds none, as
// Consul's.
func checkAudience(bound []string, aud jwt.Audience) error {
	switch {
	case len(bound) == 0 && len(aud) > 0:
		return fmt.Errorf("%w: audience claim found in JWT but no audiences bound", ErrBadToken)
	case len(bound) == 0:
		return nil
	}
	for _, a := range aud {
		if slices.Contains(bound, a) {
			return nil
		}
	}
	return fmt.Errorf("%w: aud claim does not match any bound audience", ErrBadToken)
}

// KeySet decodes a JWKS document.
func KeySet(doc []byte) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("decode JWKS: %w", err)
	}
	return &set, nil
}
