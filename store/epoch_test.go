package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/syncmon/syncmon/store"
)

// The epoch is made with the database, survives reopening, differs between
// databases, and a resume naming another epoch is a reset.
func TestEpoch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func(name string) *store.Store {
		st, err := store.Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := open("a.db")
	e1 := a.Epoch()
	if _, _, err := a.CreateTestAlert(ctx, store.Actor{Name: "t"}, "x"); err != nil {
		t.Fatal(err)
	}
	a.Close()
	a = open("a.db")
	defer a.Close()
	b := open("b.db")
	defer b.Close()
	if e1 == "" || a.Epoch() != e1 || b.Epoch() == e1 {
		t.Fatalf("epochs: %q, reopened %q, other db %q", e1, a.Epoch(), b.Epoch())
	}

	sub, backlog, reset, err := store.ResumeEpoch(ctx, a, 0, e1)
	if err != nil || reset || len(backlog) == 0 {
		t.Fatalf("same epoch: reset %v, %d events, %v", reset, len(backlog), err)
	}
	sub.Close()
	sub, backlog, reset, err = store.ResumeEpoch(ctx, a, 0, b.Epoch())
	if err != nil || !reset || len(backlog) != 0 || sub.Position() != a.Head() {
		t.Fatalf("other epoch: reset %v, %d events, %v", reset, len(backlog), err)
	}
	sub.Close()
	sub, _, reset, err = store.ResumeEpoch(ctx, a, 0, "")
	if err != nil || reset {
		t.Fatalf("no epoch: reset %v, %v", reset, err)
	}
	sub.Close()
}
