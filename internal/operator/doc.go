// Package operator serves Consul's raft operator API over the servers'
// etcd cluster: GET /v1/operator/raft/configuration lists the servers (one
// per etcd member, named by what each server published, see
// store.ServerInfo) and DELETE /v1/operator/raft/peer removes one. The
// shapes are consul/api's RaftConfiguration and RaftServer, so consul/api
// and `consul operator raft` habits work.
//
// It is not the leader election of orbit's own loops, nor the membership
// join (internal/agent). The agent mounts it; nothing else imports it.
package operator
