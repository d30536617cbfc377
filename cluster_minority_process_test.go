package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// routeProxy carries one node's routes to one peer (TCP, both ways), on a
// fixed loopback address, so that a test can cut them and bring them back
// while both processes live.
type routeProxy struct {
	addr, to string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newRouteProxy(t *testing.T, addr, to string) *routeProxy {
	p := &routeProxy{addr: addr, to: to, conns: map[net.Conn]bool{}}
	p.open(t)
	t.Cleanup(p.cut)
	return p
}

// open listens again and carries every connection to p.to.
func (p *routeProxy) open(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("proxy %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.carry(c)
		}
	}()
}

func (p *routeProxy) carry(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.to, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut closes the listener and every connection: the routes through it
// drop and cannot come back until open.
func (p *routeProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// A node whose routes are cut while every process lives is a minority:
// its screens get syncmon/cluster, shown (alert.opened on its WebSocket),
// while the majority keeps writing; when its routes come back, its screens
// get the alert resolved and it applies what it missed.
func TestClusterMinorityByCutRoutes(t *testing.T) {
	// Known to fail about one run in five: nats-server gossips each node's
	// real route address to the others (implicit routes; NoAdvertise stops
	// only the client URLs), so a pair of nodes may connect directly,
	// around the test's proxies, and cutting the proxies then leaves the
	// "minority" with a route and a quorum. Opt in until the proxies carry
	// the advertised addresses too (docs/CLUSTER.md).
	if os.Getenv("SYNCMON_TEST_ROUTE_CUT") != "1" {
		t.Skip("flaky by design of its proxies (implicit routes bypass them): SYNCMON_TEST_ROUTE_CUT=1 runs it")
	}
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	// Every route goes through a proxy of its own: node i dials node j at
	// proxy[i][j], which carries it to j's route listener.
	const n = 3
	ports := loopbackPorts(t, n*n)
	proxyAddr := func(i, j int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i*n+j]) }
	var proxies [n][n]*routeProxy
	var routes []string
	nodes := startClusterWith(t, n, clusterOpts{peers: func(i int, all []string) []string {
		routes = all
		var out []string
		for j := range n {
			if j != i {
				out = append(out, proxyAddr(i, j))
			}
		}
		return out
	}})
	for i := range n {
		for j := range n {
			if i != j {
				proxies[i][j] = newRouteProxy(t, proxyAddr(i, j), routes[j])
			}
		}
	}
	writer := agreedWriter(t, nodes, 90*time.Second)
	c := -1
	for i, nd := range nodes {
		if nd != writer {
			c = i
		}
	}
	minority := nodes[c]
	var majority []*clusterNode
	for i, nd := range nodes {
		if i != c {
			majority = append(majority, nd)
		}
	}
	ws := dialWS(t, minority.base)
	if w := readRaw(t, ws, 10*time.Second); w.Type != "hello" {
		t.Fatalf("first message %+v", w)
	}

	for j := range n {
		if j != c {
			proxies[c][j].cut()
			proxies[j][c].cut()
		}
	}
	cutAt := time.Now()
	isCluster := func(w wsMsg, typ string) bool {
		return w.Type == typ && w.Alert != nil && w.Alert.Rule == "syncmon" && w.Alert.Program == "SYNCMON" &&
			w.Alert.Group == "cluster" && w.Alert.Target == "syncmon" && w.Seq == 0 && w.Unpersisted
	}
	// The majority writes meanwhile (a test alert made on the writer).
	makeTestAlerts(t, writer, 5, 1)
	deadline := time.Now().Add(60 * time.Second)
	for !isCluster(readRaw(t, ws, time.Until(deadline)), "alert.opened") {
	}
	t.Logf("%s told its screens syncmon/cluster %s after its routes were cut", minority.name, time.Since(cutAt).Round(time.Millisecond))
	if st, err := minority.status(); err != nil || st.Quorum {
		t.Fatalf("%s cut off: quorum %v (%v)", minority.name, st.Quorum, err)
	}
	again := agreedWriter(t, majority, 30*time.Second)
	makeTestAlerts(t, again, 5, 1)
	st, err := again.status()
	if err != nil {
		t.Fatal(err)
	}
	last := st.Stream.LastSeq

	for j := range n {
		if j != c {
			proxies[c][j].open(t)
			proxies[j][c].open(t)
		}
	}
	backAt := time.Now()
	deadline = time.Now().Add(60 * time.Second)
	for !isCluster(readRaw(t, ws, time.Until(deadline)), "alert.resolved") {
	}
	t.Logf("%s resolved syncmon/cluster %s after its routes came back", minority.name, time.Since(backAt).Round(time.Millisecond))
	waitUntil(t, 60*time.Second, minority.name+" applies what it missed", func() (bool, string) {
		st, err := minority.status()
		if err != nil {
			return false, err.Error()
		}
		for _, nd := range st.Nodes {
			if nd.Name == minority.name && nd.AppliedSeq >= last {
				return true, ""
			}
		}
		return false, fmt.Sprintf("%+v", st.Nodes)
	})
	want, got := readLog(t, again, last), readLog(t, minority, last)
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Fatalf("after the cut: %s's log differs from %s's (%d and %d events)", minority.name, again.name, len(got), len(want))
	}
}
