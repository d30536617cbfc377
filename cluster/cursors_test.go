package cluster_test

import (
	"context"
	"testing"
	"time"
)

// A channel's cursor put by one node (the writer) is watched by another,
// and read again by Refresh on a third that was not watching; a cursor
// never moves back.
func TestCursorsSharedByNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	nodes := startCluster(t, configs(t, 2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	writer, err := nodes[0].Cursors()
	if err != nil {
		t.Fatal(err)
	}
	watcher, err := nodes[1].Cursors()
	if err != nil {
		t.Fatal(err)
	}
	changed := make(chan struct{}, 16)
	go func() { _ = watcher.Watch(ctx, func() { changed <- struct{}{} }) }()

	const ch = "ops webhook/é" // any name: keys are hex
	if err := writer.Put(ctx, ch, 41); err != nil {
		t.Fatal(err)
	}
	if err := writer.Put(ctx, ch, 42); err != nil {
		t.Fatal(err)
	}
	if err := writer.Put(ctx, ch, 7); err != nil { // behind: not put
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the watcher hears 42", func() bool { return watcher.Get(ch) == 42 })
	select {
	case <-changed:
	default:
		t.Fatal("changed was not called")
	}

	late, err := nodes[1].Cursors()
	if err != nil {
		t.Fatal(err)
	}
	if got := late.Get(ch); got != 0 {
		t.Fatalf("before Refresh: %d", got)
	}
	if err := late.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if got := late.Get(ch); got != 42 {
		t.Fatalf("after Refresh: %d, want 42", got)
	}
}
