// Package static holds SyncMon's browser assets (plain JS, CSS, the chime),
// embedded in the binary. No build step.
package static

import "embed"

// FS holds the assets, served under content-hashed URLs.
//
//go:embed *.js *.css *.wav
var FS embed.FS
