package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// fileID is the database file's identity (device and inode) when opened.
type fileID struct{ dev, ino uint64 }

func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, errors.New("no inode")
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

// CheckFile reports whether the database file SyncMon writes is still the
// one at its path: a file deleted or replaced under the running server
// takes writes that no restart will see.
func (s *Store) CheckFile() error {
	if s.path == "" || s.file == (fileID{}) {
		return nil
	}
	id, err := statID(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("database file %s was deleted under the running server: what is written now is lost at restart", s.path)
	}
	if err != nil {
		return fmt.Errorf("database file %s: %w", s.path, err)
	}
	if id != s.file {
		return fmt.Errorf("database file %s was replaced under the running server: SyncMon still writes the old one", s.path)
	}
	return nil
}

// A filesystem is "nearly full" for the database below the smaller of
// these: SQLite can still rewrite pages it has (a ping may pass) while
// anything that needs a new page, or a bigger WAL, fails.
const (
	minFreeBytes   = 16 << 20 // 16 MiB
	minFreePercent = 2
)

// CheckSpace reports the filesystem holding the database as nearly full:
// free space for unprivileged writers below 16 MiB, or below 2 % of the
// filesystem when that is smaller (a small test filesystem).
func (s *Store) CheckSpace() error {
	if s.path == "" || s.file == (fileID{}) {
		return nil
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(s.path), &fs); err != nil {
		return fmt.Errorf("free space of %s: %w", filepath.Dir(s.path), err)
	}
	bsize := uint64(fs.Bsize)
	free, total := fs.Bavail*bsize, fs.Blocks*bsize
	if limit := min(uint64(minFreeBytes), total*minFreePercent/100); free < limit {
		return fmt.Errorf("the filesystem of %s is nearly full: %d KiB free", filepath.Dir(s.path), free>>10)
	}
	return nil
}
