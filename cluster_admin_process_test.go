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
	pw := writer.logs.WaitFor(t, adminPasswordRE, 30*time.Second)
	for _, n := range nodes {
		if n != writer && n.logs.Contains("created the admin account") {
			t.Fatalf("%s made an admin too; %s is the writer", n.name, writer.name)
		}
		if n.logs.Contains(pw) != (n == writer) || strings.Count(n.logs.String(), pw) > 1 {
			t.Fatalf("%s's log has the password %d times (writer %s)", n.name, strings.Count(n.logs.String(), pw), writer.name)
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
		if n.logs.Contains("created the admin account") {
			t.Fatalf("%s made a second admin after taking over", n.name)
		}
	}
}
