// Package templates holds SyncMon's HTML templates, embedded in the binary.
package templates

import "embed"

// FS holds every page template and the shared layout.
//
//go:embed *.html
var FS embed.FS
