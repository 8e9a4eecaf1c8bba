// Package zone holds orbit's plain authoritative-DNS types: a Zone (its SOA
// settings and transfer policy), its record sets (RRSet: one owner name and
// type with its records in presentation format), their validation (names,
// in-zone owners, CNAME beside other data, supported types), the SOA
// serial arithmetic, and Apply: every zone change (create, import, settings,
// record-set puts and deletes) decided as a pure function of the stored
// zone, the change and the time.
//
// It is not storage (store reads a zone, calls Apply and writes the result
// with one compare-and-swap under /orbit/zones/), not the server (package
// dns compiles zones into answer tables) and does no I/O. It imports nothing internal; store, dns and the CLI import it.
package zone
