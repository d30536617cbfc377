package testutil

import (
	"net"
	"testing"
)

// FreePorts asks the OS for n distinct free loopback ports. They are free
// when it returns; a test that binds them later may, rarely, lose one to
// another process.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
