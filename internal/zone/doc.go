// Package zone holds orbit's plain authoritative-DNS types: a Zone (its SOA
// settings and transfer policy), its record sets (RRSet: one owner name and
// type with its records in presentation format), their validation (names,
// in-zone owners, CNAME beside other data, supported types) and the SOA
// serial arithmetic.
//
// It is not storage (store writes zones atomically under /orbit/zones/), not
// the server (package dns compiles zones into answer tables) and does no
// I/O. It imports nothing internal; store, dns and the CLI import it.
package zone
