package connectca

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/orbit/orbit/internal/acl"
)

// Config describes the cluster the endpoints answer for.
type Config struct {
	// Datacenter is named in service certificates' SPIFFE IDs.
	Datacenter string
	// ACLsEnabled and DefaultAllow decide authorization without an
	// intention: allowed when ACLs are off, else when the ACL default
	// policy is "allow".
	ACLsEnabled  bool
	DefaultAllow bool
}

// Authority is the internal CA as these endpoints use it
// (*pki.ServiceCerts).
type Authority interface {
	Root() *x509.Certificate
	TrustDomain() string
	// Leaf returns service's current certificate, issuing one valid for
	// ttl when none is kept or the kept one is due for renewal.
	Leaf(service string, ttl time.Duration) (*tls.Certificate, error)
	// RenewAt is when a certificate is due for renewal.
	RenewAt(leaf *x509.Certificate) time.Time
}

// Store keeps the CA configuration and knows the root's revisions
// (*store.Store).
type Store interface {
	CARootIndex(ctx context.Context) (create, mod int64, err error)
	ConnectCAConfig(ctx context.Context) (value []byte, create, mod int64, err error)
	PutConnectCAConfig(ctx context.Context, value []byte) (int64, error)
}

// Deps are the handler's collaborators.
type Deps struct {
	CA    Authority
	Store Store
	// Authorizer decides access; nil allows everything.
	Authorizer acl.Authorizer
	// Clock times blocking queries and renewals; nil is the wall clock.
	Clock  clockwork.Clock
	Logger *slog.Logger
}

// Validate checks the configuration and dependencies.
func (c Config) Validate(d Deps) error {
	if c.Datacenter == "" {
		return errors.New("connectca: datacenter is required")
	}
	if d.CA == nil || d.Store == nil {
		return errors.New("connectca: CA and Store are required")
	}
	return nil
}
