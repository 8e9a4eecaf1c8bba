// Package pki is orbit's internal certificate authority: one root key and
// certificate (ECDSA P-256), created once per cluster and persisted through
// a small Storage interface (the store package implements it in etcd), and
// short-lived leaf certificates issued from it on demand.
//
// Today it issues TLS server certificates for the edge load balancer's
// router host names (ServerCertificate, cached and renewed before expiry),
// shared between agents through the Storage when it also implements
// LeafStorage, so every edge node presents the same certificate.
// Node certificates (node.go, nodecert.go) identify agents: the CA signs
// a node's certificate request (SignNode; common name = node name, client
// and server use), and NodeCert keeps a node's key and certificate in its
// data directory, renews it before expiry and hands it to TLS configs
// through GetCertificate / GetClientCertificate, so renewals need no
// restart.
//
// What it is not: it does not terminate TLS, choose which names deserve a
// certificate (the proxy decides that from its route table), or run a
// leader loop. It does not protect the root's private key at rest: the
// store seals it with the servers' key (store.SealKey), so only servers
// open the CA.
//
// Who imports it: agent (creates the CA and passes it to proxy, which only
// sees its own one-method interface), and tests that need a trusted root.
package pki
