// Package golden compares parser output with the golden files beside the
// fixtures in each source package's testdata/.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites golden files instead of comparing against them:
//
//	go test ./monitor/ggsci/ -run TestXxx -update
//
// It is the only declaration of the flag: every golden test of the source
// packages calls Check rather than declaring its own.
var update = flag.Bool("update", false, "rewrite testdata/**/*.golden.json files")

// Check marshals got as indented JSON (with <, > and & as they are, so that
// "EXT1 ==> REP1" stays readable) and compares it with the file at path, or
// rewrites that file when -update is set. A missing golden file is a
// failure that says how to create it.
func Check(tb testing.TB, path string, got any) {
	tb.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		tb.Fatalf("marshal %s: %v", path, err)
	}
	b := buf.Bytes()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatalf("update %s: %v", path, err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			tb.Fatalf("update %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(b, want) {
		tb.Errorf("%s differs (run go test -update, then review the diff)\ngot:\n%s\nwant:\n%s", path, b, want)
	}
}
