package monitor

import "context"

// ErrLogOffset is how far a Follower has read one ggserr.log.
type ErrLogOffset struct {
	Offset int64  // bytes of the file read and emitted; the next read starts here
	Inode  uint64 // the file's inode when Offset was saved; 0 = never seen (or a platform without inodes)
	Size   int64  // bytes of the file read when Offset was saved (≥ Offset); informational
}

// OffsetStore keeps each followed file's offset across restarts.
type OffsetStore interface {
	// LoadOffset returns the saved offset of path, or the zero value for a
	// path never saved.
	LoadOffset(ctx context.Context, path string) (ErrLogOffset, error)
	// SaveOffset records off for path, replacing what was there.
	SaveOffset(ctx context.Context, path string, off ErrLogOffset) error
}

// LogFollower follows one target's own log (ggserr.log) as it grows and
// calls emit with each batch of new entries, until ctx ends.
type LogFollower interface {
	Run(ctx context.Context, emit func([]LogEntry) error) error
}
