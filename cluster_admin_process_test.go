package main

import (
	"strings"
	"testing"
	"time"
)

// Without SYNCMON_ADMIN_PASSWORD, a new cluster makes one first admin,
// through the log, on its first writer: its random password is printed
// once, by that node alone, and signs in on every node; a later writer
// makes no other.
func TestClusterFirstAdminIsOneAccountOnEveryNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	t.Parallel()
	nodes := startClusterWith(t, 3, clusterOpts{env: func(string, string) []string {
		return []string{"SYNCMON_ADMIN_PASSWORD="} // the last value wins: unset
	}})
	writer := agreedWriter(t, nodes, 90*time.Second)
	// Made by the first writer: the one agreed on, unless the lease moved
	// meanwhile; in one node's log either way, and in no other's.
	var pw, maker string
	waitUntil(t, 30*time.Second, "a node prints the first admin's password", func() (bool, string) {
		for _, n := range nodes {
			if m := adminPasswordRE.FindStringSubmatch(n.logs.String()); m != nil {
				pw, maker = m[1], n.name
				return true, ""
			}
		}
		return false, "no node has"
	})
	made := func(n *clusterNode) int { // how often n's log should name the admin made, and its password
		if n.name == maker {
			return 1
		}
		return 0
	}
	for _, n := range nodes {
		if c := strings.Count(n.logs.String(), "created the admin account"); c != made(n) {
			t.Fatalf("%s's log tells of %d admin(s) made; %s made the first", n.name, c, maker)
		}
		if c := strings.Count(n.logs.String(), pw); c != made(n) {
			t.Fatalf("%s's log has the password %d times; %s made the admin", n.name, c, maker)
		}
	}
	// Signed in on each node once it has applied the log as far as the
	// writer had written (wrong tries would count against the account).
	st, err := writer.status()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		waitApplied(t, n, st.Stream.LastSeq, 20*time.Second)
		signIn(t, n, "admin", pw)
	}

	writer.kill(t)
	var rest []*clusterNode
	for _, n := range nodes {
		if n != writer {
			rest = append(rest, n)
		}
	}
	again := agreedWriter(t, rest, 60*time.Second)
	signIn(t, again, "admin", pw)
	for _, n := range rest {
		if c := strings.Count(n.logs.String(), "created the admin account"); c != made(n) {
			t.Fatalf("%s made a second admin after taking over (%d in its log)", n.name, c)
		}
	}
}
