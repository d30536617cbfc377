// Package e2e holds SyncMon's browser tests: Debian chromium, driven by
// chromedp, loads the pages through a real nginx that behaves like a
// locked-down corporate proxy (testdata/proxy), in front of the syncmon
// binary built from this module and started with a config file, through
// the same run() as production. The speech tests, which drive the alert
// engine with checks of their own, run the HTTP surface in-process
// (inproc_test.go). The package has no code outside its tests.
//
// Run with `go test ./e2e/`. Without chromium or nginx the tests skip and
// say that `make test` installs them; with SYNCMON_REQUIRE_TOOLS=1 (as
// `make test` sets) a missing tool fails the run instead.
package e2e
