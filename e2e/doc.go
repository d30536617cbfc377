// Package e2e holds SyncMon's browser tests: Debian chromium, driven by
// chromedp, loads the pages through a real nginx that behaves like a
// locked-down corporate proxy (testdata/proxy), in front of the syncmon
// binary built from this module and started with a config file, through
// the same run() as production. The page and speech tests run the same
// binary without the proxy; they drive its alert engine through targets of
// kind ggsci whose command is a fake GGSCI replaying INFO ALL text the test
// rewrites (source_test.go), and act as users through the HTTP API, the
// pages' forms and `syncmon user add`. The package has no code outside its
// tests.
//
// Run with `go test ./e2e/`. Without chromium or nginx the tests skip and
// say that `make test` installs them; with SYNCMON_REQUIRE_TOOLS=1 (as
// `make test` sets) a missing tool fails the run instead.
package e2e
