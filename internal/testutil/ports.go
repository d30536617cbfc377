package testutil

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"testing"
)

// FreePorts returns n distinct free loopback ports for servers a test
// starts later. They come from below the kernel's ephemeral range, so no
// outgoing connection (whose source port the kernel picks from that range)
// and no listener on port 0 can take one in the meantime; and one test
// binary never hands out the same port twice. Another test binary picking
// the same port in the same moment remains possible, and rare.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	lo, hi := portPool()
	var ports []int
	for tries := 0; len(ports) < n; tries++ {
		if tries > 10*(hi-lo) {
			tb.Fatalf("no free loopback port in %d-%d", lo, hi)
		}
		p := lo + rand.IntN(hi-lo+1)
		if handedOut[p] {
			continue
		}
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue // in use
		}
		l.Close()
		handedOut[p] = true
		ports = append(ports, p)
	}
	return ports
}

var (
	portsMu   sync.Mutex
	handedOut = map[int]bool{}
)

// portPool is the range FreePorts draws from: 20000 up to the start of the
// kernel's ephemeral range (32768 on Linux by default).
func portPool() (lo, hi int) {
	lo, hi = 20000, 32767
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	var eLo, eHi int
	if _, err := fmt.Sscanf(string(b), "%d %d", &eLo, &eHi); err != nil || eLo <= lo+1000 {
		return lo, hi
	}
	return lo, eLo - 1
}
