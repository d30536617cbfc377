package store

import (
	"errors"
	"fmt"
	"os"
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
