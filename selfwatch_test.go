package main

import (
	"slices"
	"testing"

	"github.com/syncmon/syncmon/notify"
)

// A channel that gave up is listed until it delivers again.
func TestGaveUpListsAChannelUntilItDelivers(t *testing.T) {
	stats := []notify.ChannelStats{{Name: "ops", Delivered: 3}, {Name: "itsm", Delivered: 1}}
	list := gaveUp(func() []notify.ChannelStats { return stats })
	if got := list(); len(got) != 0 {
		t.Fatalf("nothing given up: %v", got)
	}
	stats[0].GaveUp = 1
	if got := list(); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("after ops gave up: %v", got)
	}
	if got := list(); !slices.Equal(got, []string{"ops"}) {
		t.Fatalf("ops still listed with nothing delivered since: %v", got)
	}
	stats[0].Delivered = 4
	if got := list(); len(got) != 0 {
		t.Fatalf("ops delivered again: %v", got)
	}
}
