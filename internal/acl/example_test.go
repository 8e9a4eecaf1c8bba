package acl_test

import (
	"errors"
	"fmt"

	"github.com/orbit/orbit/internal/acl"
)

// The README's example.
func Example() {
	policies := []acl.Policy{{ID: "p1", Name: "app", Rules: `
key_prefix "app/" {
  policy = "read"
}
key_prefix "app/db" {
  policy = "deny"
}
namespace "default" {
  policy = "read"
}`}}
	c, err := acl.Compile("6a1253d2-1785-24fd-91c2-f8e78c745511", acl.DefaultDeny, policies...)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Check(acl.Rule{Resource: acl.Key, Segment: "app/web", Access: acl.Read}))
	err = c.Check(acl.Rule{Resource: acl.Key, Segment: "app/db", Access: acl.Read})
	fmt.Println(errors.Is(err, acl.ErrDenied), err)
	fmt.Println(c.Allowed(acl.Rule{Resource: acl.Namespace, Segment: "default", Access: acl.CapSubmitJob}))
	// Output:
	// <nil>
	// true Permission denied: token with AccessorID '6a1253d2-1785-24fd-91c2-f8e78c745511' lacks permission 'key:read' on "app/db"
	// false
}
