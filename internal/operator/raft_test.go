package operator

import (
	"reflect"
	"testing"

	"github.com/orbit/orbit/internal/store"
)

func TestConfiguration(t *testing.T) {
	servers := []store.Server{
		{Member: store.Member{ID: 0x1a, Name: "s1", PeerURL: "http://10.0.0.1:8300"},
			ServerInfo: store.ServerInfo{Node: "s1", NodeID: "uuid-1", Address: "10.0.0.1:8500"}, Leader: true},
		{Member: store.Member{ID: 0x2b, Name: "s2", PeerURL: "http://10.0.0.2:8300"}},
		{Member: store.Member{ID: 0x3c, PeerURL: "http://10.0.0.3:8300", Learner: true}},
	}
	got := Configuration(servers, 7)
	want := RaftConfiguration{Index: 7, Servers: []RaftServer{
		{ID: "uuid-1", Node: "s1", Address: "10.0.0.1:8500", Leader: true, ProtocolVersion: "3", Voter: true},
		{ID: "2b", Node: "s2", Address: "10.0.0.2:8300", ProtocolVersion: "3", Voter: true},
		{ID: "3c", Node: "(unknown)", Address: "10.0.0.3:8300", ProtocolVersion: "3"},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Configuration =\n%+v\nwant\n%+v", got, want)
	}
	if empty := Configuration(nil, -1); empty.Servers == nil || empty.Index != 0 {
		t.Fatalf("empty configuration = %+v, want an empty list", empty)
	}
}
