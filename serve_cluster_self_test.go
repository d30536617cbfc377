package main

import (
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// A node is lost once it has been unheard at every look for lost_after; a
// look that hears it starts its count again.
func TestLostNodesAfterBeingUnheardLongEnough(t *testing.T) {
	l := lostNodes{after: 30 * time.Second, since: map[string]time.Time{}}
	t0 := time.Now()
	unheard := map[string]bool{"syncmon-3": true}
	if got := l.judge(unheard, t0); len(got) != 0 {
		t.Fatalf("lost at once: %+v", got)
	}
	if got := l.judge(unheard, t0.Add(29*time.Second)); len(got) != 0 {
		t.Fatalf("lost after 29s: %+v", got)
	}
	got := l.judge(map[string]bool{"syncmon-3": true, "syncmon-2": true}, t0.Add(30*time.Second))
	if len(got) != 1 || got[0] != (monitor.LostNode{Name: "syncmon-3", Since: 30 * time.Second}) {
		t.Fatalf("after 30s: %+v, want syncmon-3 alone", got)
	}
	if got := l.over(t0.Add(31 * time.Second)); len(got) != 1 {
		t.Fatalf("no news keeps what was lost: %+v", got)
	}
	l.judge(map[string]bool{"syncmon-2": true}, t0.Add(40*time.Second)) // syncmon-3 heard
	if got := l.judge(unheard, t0.Add(60*time.Second)); len(got) != 0 {
		t.Fatalf("heard again counts anew: %+v", got)
	}
	if got := l.judge(nil, t0.Add(100*time.Second)); len(got) != 0 {
		t.Fatalf("all heard: %+v", got)
	}
}
