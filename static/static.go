// Package static holds SyncMon's browser assets (plain JS, CSS, the chime),
// embedded in the binary. No build step.
package static

import "embed"

// The recordings lost-*.wav and restored-*.wav, what a page says of its own
// dead line where the browser has no voice, are made with espeak-ng:
//
//go:generate go run ./mkspeech

// FS holds the assets, served under content-hashed URLs.
//
//go:embed *.js *.css *.wav
var FS embed.FS
