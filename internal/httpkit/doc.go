// Package httpkit is the one HTTP kit every orbit listener and API uses:
// the Consul API (api), the Nomad API (nomadapi), the zones API (zoneapi)
// and the edge API (proxy).
//
// It holds:
//   - HandlerFunc, a handler that returns its error, and Kit.Handle, which
//     adapts it to http.Handler and answers the error in one place;
//   - Error, which keeps the message a client may see apart from the cause
//     that is logged: a 5xx answers only "internal error" and a request id,
//     the cause goes to slog under that id;
//   - StatusOf, the one table from sentinel errors to HTTP statuses (the
//     sentinels stay in the packages that own the concept: acl, catalog,
//     zone, store; this package only maps them);
//   - WriteJSON, the one JSON answer (indented with ?pretty);
//   - ParseQuery, Kit.Block and SetMeta, the one blocking query with
//     Consul's and Nomad's index headers;
//   - Kit.Authorize and Kit.Guard, the acl.Authorizer every listener asks;
//   - Serve, the one serve-and-drain of an http.Server, which offers every
//     request to the audit (Audited: writes and denials, with the token
//     named by a TokenAccessor, never by its secret).
//
// It is not a router or a framework: handlers use net/http's ServeMux.
// Features import it; it imports only plain-type packages and store's
// sentinel errors.
package httpkit
