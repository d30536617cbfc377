package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/internal/testutil"
	"github.com/syncmon/syncmon/store"
)

// A full filesystem is told before SQLite fails on it, and no longer once
// space returns.
func TestCheckSpaceOnAFullFilesystem(t *testing.T) {
	dir := testutil.MountTmpfs(t, "8m")
	st, err := store.Open(context.Background(), filepath.Join(dir, "syncmon.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CheckSpace(); err != nil {
		t.Fatalf("with most of 8 MiB free: %v", err)
	}
	filler := testutil.FillDisk(t, dir, "filler")
	if err := st.CheckSpace(); err == nil || !strings.Contains(err.Error(), "nearly full") {
		t.Fatalf("full filesystem: %v, want nearly full", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckSpace(); err != nil {
		t.Fatalf("space back: %v", err)
	}
}
