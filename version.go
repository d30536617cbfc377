package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set at build time by `make dist` (and the Dockerfile):
//
//	go build -ldflags "-X main.buildVersion=1.2.0 -X main.buildCommit=0a1b2c3d4e5f -X main.buildDate=2026-11-29T16:00:00Z"
//
// A plain `go build` leaves them empty but for the version; the commit and
// date then come from the VCS stamp Go embeds, when there is one.
var (
	buildVersion = "0.0.0-dev"
	buildCommit  string
	buildDate    string
)

// buildInfo is what `syncmon version` prints.
type buildInfo struct {
	Version, Commit, Date, Go string
}

func currentBuild() buildInfo {
	b := buildInfo{Version: buildVersion, Commit: buildCommit, Date: buildDate, Go: runtime.Version()}
	if info, ok := debug.ReadBuildInfo(); ok {
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if b.Commit == "" && vcs["vcs.revision"] != "" {
			b.Commit = vcs["vcs.revision"][:min(12, len(vcs["vcs.revision"]))]
			if vcs["vcs.modified"] == "true" {
				b.Commit += "-dirty"
			}
		}
		if b.Date == "" {
			b.Date = vcs["vcs.time"]
		}
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

func versionCommand(stdout io.Writer) error {
	b := currentBuild()
	_, err := fmt.Fprintf(stdout, "syncmon %s\ncommit: %s\nbuilt: %s\ngo: %s %s/%s\n",
		b.Version, b.Commit, b.Date, b.Go, runtime.GOOS, runtime.GOARCH)
	return err
}
