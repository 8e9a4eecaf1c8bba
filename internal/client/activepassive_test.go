package client

import (
	"slices"
	"testing"
	"time"

	"github.com/orbit/orbit/internal/catalog"
	"github.com/orbit/orbit/internal/job"
)

func TestDecideLock(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ttl := 9 * time.Second
	cases := []struct {
		name string
		in   lockInput
		want lockStep
	}{
		{"not running, no session", lockInput{}, lockIdle},
		{"stopped with a session", lockInput{Session: "s1", Holder: "s1"}, lockDestroy},
		{"running without a session", lockInput{Want: true, Holder: "other"}, lockCreate},
		{"free key", lockInput{Want: true, Session: "s1", Now: t0, Renewed: t0, TTL: ttl}, lockAcquire},
		{"held by another, renewal not due", lockInput{Want: true, Session: "s1", Holder: "s2", Now: t0.Add(2 * time.Second), Renewed: t0, TTL: ttl}, lockIdle},
		{"held by another, renewal due", lockInput{Want: true, Session: "s1", Holder: "s2", Now: t0.Add(3 * time.Second), Renewed: t0, TTL: ttl}, lockRenew},
		{"held by us, renewal due", lockInput{Want: true, Session: "s1", Holder: "s1", Now: t0.Add(5 * time.Second), Renewed: t0, TTL: ttl}, lockRenew},
		{"held by us, renewal not due", lockInput{Want: true, Session: "s1", Holder: "s1", Now: t0.Add(time.Second), Renewed: t0, TTL: ttl}, lockIdle},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := decideLock(tc.in); got != tc.want {
				t.Fatalf("decideLock(%+v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestLockRoleAndTags(t *testing.T) {
	roles := []struct {
		session, holder, want string
	}{
		{"s1", "s1", catalog.RolePrimary},
		{"s1", "s2", catalog.RoleStandby},
		{"s1", "", catalog.RoleStandby},
		{"", "", catalog.RoleStandby}, // no session is never primary
	}
	for _, tc := range roles {
		if got := lockRole(tc.session, tc.holder); got != tc.want {
			t.Errorf("lockRole(%q, %q) = %q, want %q", tc.session, tc.holder, got, tc.want)
		}
	}
	tags := []struct {
		in   []string
		role string
		want []string
	}{
		{nil, catalog.RolePrimary, []string{"primary"}},
		{[]string{"app", "standby"}, catalog.RolePrimary, []string{"app", "primary"}},
		{[]string{"primary", "app", "primary"}, catalog.RoleStandby, []string{"app", "standby"}},
	}
	for _, tc := range tags {
		if got := withRole(tc.in, tc.role); !slices.Equal(got, tc.want) {
			t.Errorf("withRole(%v, %q) = %v, want %v", tc.in, tc.role, got, tc.want)
		}
	}
}

func TestActivePassiveDefaults(t *testing.T) {
	a := &job.Allocation{Namespace: "default", JobID: "db"}
	if _, _, ok := activePassive(a, &job.Group{Name: "g"}); ok {
		t.Fatal("a group without active_passive contends for a lock")
	}
	key, ttl, ok := activePassive(a, &job.Group{Name: "g", ActivePassive: &job.ActivePassive{}})
	if !ok || key != "orbit/active-passive/default/db/g" || ttl != job.DefaultActivePassiveTTL {
		t.Fatalf("defaults: %q %v %v", key, ttl, ok)
	}
	key, ttl, _ = activePassive(a, &job.Group{Name: "g", ActivePassive: &job.ActivePassive{Lock: "locks/db", TTL: time.Minute}})
	if key != "locks/db" || ttl != time.Minute {
		t.Fatalf("written: %q %v", key, ttl)
	}
}
