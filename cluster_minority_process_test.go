package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// routeGates are the network between a test's nodes. Each node has a gate:
// its advertised route address (cluster.advertise), the one every other
// node's peers list names for it, so that nats-server has no route address
// of it to learn from gossip but the gate's. The gate carries each route to
// the node's listener and learns who dialled it from the route's INFO
// (server_name), so cutting a node closes every route to and from it, in
// both directions, while the processes live, and no route can go around.
type routeGates struct {
	mu    sync.Mutex
	down  map[string]bool // nodes cut off
	conns map[*gatedRoute]bool
	lns   []net.Listener
}

// gatedRoute is one route connection through a gate: from dialled to.
type gatedRoute struct {
	from, to       string // from is "" until its INFO is read
	dialer, target net.Conn
}

func newRouteGates(t *testing.T) *routeGates {
	g := &routeGates{down: map[string]bool{}, conns: map[*gatedRoute]bool{}}
	t.Cleanup(g.close)
	return g
}

// open listens at addr as node's gate, carrying routes to listen.
func (g *routeGates) open(t *testing.T, addr, node, listen string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("gate of %s at %s: %v", node, addr, err)
	}
	g.mu.Lock()
	g.lns = append(g.lns, ln)
	g.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go g.carry(c, node, listen)
		}
	}()
}

// carry carries one route: refused while either end is cut off.
func (g *routeGates) carry(c net.Conn, to, listen string) {
	r := &gatedRoute{to: to, dialer: c}
	defer r.close()
	up, err := net.DialTimeout("tcp", listen, 2*time.Second)
	if err != nil {
		return
	}
	r.target = up
	if !g.add(r) {
		return
	}
	defer g.remove(r)
	go func() { _, _ = io.Copy(c, up); r.close() }()
	// Pass the dialer's protocol lines on until its INFO names it.
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		if rest, ok := bytes.CutPrefix(line, []byte("INFO ")); ok {
			var info struct {
				Name string `json:"server_name"`
			}
			if json.Unmarshal(rest, &info) == nil && info.Name != "" {
				if !g.identify(r, info.Name) {
					return // from a node cut off: its INFO never arrives
				}
				if _, err := up.Write(line); err != nil {
					return
				}
				break
			}
		}
		if _, err := up.Write(line); err != nil {
			return
		}
	}
	_, _ = io.Copy(up, br)
}

func (r *gatedRoute) close() {
	r.dialer.Close()
	if r.target != nil {
		r.target.Close()
	}
}

func (g *routeGates) add(r *gatedRoute) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down[r.to] {
		return false
	}
	g.conns[r] = true
	return true
}

func (g *routeGates) remove(r *gatedRoute) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.conns, r)
}

func (g *routeGates) identify(r *gatedRoute, from string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	r.from = from
	return !g.down[from] && !g.down[r.to]
}

// cut closes every route to or from node and refuses new ones until heal.
func (g *routeGates) cut(node string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down[node] = true
	for r := range g.conns {
		if r.from == node || r.to == node {
			r.close()
		}
	}
}

// heal lets node's routes through again.
func (g *routeGates) heal(node string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.down, node)
}

func (g *routeGates) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ln := range g.lns {
		ln.Close()
	}
	for r := range g.conns {
		r.close()
	}
}

// A node whose routes are cut while every process lives is a minority:
// its screens get syncmon/cluster, shown (alert.opened on its WebSocket),
// while the majority keeps writing; when its routes come back, its screens
// get the alert resolved and it applies what it missed.
func TestClusterMinorityByCutRoutes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three syncmon processes")
	}
	// Beside the other cluster tests (-parallel: GOMAXPROCS at a time):
	// each waits mostly on elections and leases.
	t.Parallel()
	const n = 3
	gates := newRouteGates(t)
	ports := loopbackPorts(t, n)
	gateAddr := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	nodes := startClusterWith(t, n, clusterOpts{routes: func(i int, listens []string) ([]string, string) {
		if i == 0 { // the gates are up before the first node dials
			for j := range n {
				gates.open(t, gateAddr(j), fmt.Sprintf("syncmon-%d", j+1), listens[j])
			}
		}
		var peers []string
		for j := range n {
			if j != i {
				peers = append(peers, gateAddr(j))
			}
		}
		return peers, gateAddr(i)
	}})
	for i, nd := range nodes {
		if want := fmt.Sprintf("syncmon-%d", i+1); nd.name != want {
			t.Fatalf("node %d is %s, want %s (its gate's name)", i, nd.name, want)
		}
	}
	writer := agreedWriter(t, nodes, 90*time.Second)
	var minority *clusterNode
	var majority []*clusterNode
	for _, nd := range nodes {
		if nd != writer && minority == nil {
			minority = nd
			continue
		}
		majority = append(majority, nd)
	}
	ws := dialWS(t, minority.base)
	if w := readRaw(t, ws, 10*time.Second); w.Type != "hello" {
		t.Fatalf("first message %+v", w)
	}

	gates.cut(minority.name)
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

	gates.heal(minority.name)
	backAt := time.Now()
	deadline = time.Now().Add(60 * time.Second)
	for !isCluster(readRaw(t, ws, time.Until(deadline)), "alert.resolved") {
	}
	t.Logf("%s resolved syncmon/cluster %s after its routes came back", minority.name, time.Since(backAt).Round(time.Millisecond))
	waitApplied(t, minority, last, 60*time.Second)
	sameLog(t, again, minority, last)
}
