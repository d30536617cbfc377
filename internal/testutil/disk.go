package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// RequireTool skips tb (or, under SYNCMON_REQUIRE_TOOLS=1, fails it) when
// err says that this machine cannot do what the test needs (mount, chattr).
func RequireTool(tb testing.TB, what string, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	if os.Getenv("SYNCMON_REQUIRE_TOOLS") == "1" {
		tb.Fatalf("%s: %v (SYNCMON_REQUIRE_TOOLS=1)", what, err)
	}
	tb.Skipf("skipped: %s is not possible here: %v", what, err)
}

// MountTmpfs mounts a tmpfs of size (as mount's size= option) at a new
// directory, unmounted at cleanup. Where mounting is impossible (not root,
// no CAP_SYS_ADMIN) the test is skipped, as RequireTool says.
func MountTmpfs(tb testing.TB, size string) string {
	tb.Helper()
	dir := tb.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		RequireTool(tb, "mount -t tmpfs", fmt.Errorf("%w: %s", err, out))
	}
	tb.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// FillDisk writes the file dir/name until the filesystem is full and
// returns its path, so that the test can free the space again.
func FillDisk(tb testing.TB, dir, name string) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			tb.Fatalf("fill %s: %v", p, err)
		}
	}
}
