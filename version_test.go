package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestVersionCommand(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out strings.Builder
		if err := run(context.Background(), []string{arg}, os.Getenv, strings.NewReader(""), &out, &out); err != nil {
			t.Fatalf("%s: %v", arg, err)
		}
		for _, want := range []string{"syncmon " + buildVersion + "\n", "commit: ", "built: ", "go: " + runtime.Version()} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%s printed %q, want it to contain %q", arg, out.String(), want)
			}
		}
	}
}

// TestVersionStamp builds the binary as make dist does (-ldflags -X) and
// checks that it reports what it was given: on `version`, on `--version`,
// and as the version the server announces (the one screens get in hello).
func TestVersionStamp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "syncmon")
	ldflags := "-X main.buildVersion=9.8.7-test -X main.buildCommit=feedc0ffee12 -X main.buildDate=2026-01-02T03:04:05Z"
	build := exec.Command("go", "build", "-o", bin, "-ldflags", ldflags, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	want := "syncmon 9.8.7-test\ncommit: feedc0ffee12\nbuilt: 2026-01-02T03:04:05Z\ngo: " +
		runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	for _, arg := range []string{"version", "--version"} {
		out, err := exec.Command(bin, arg).Output()
		if err != nil {
			t.Fatalf("syncmon %s: %v", arg, err)
		}
		if string(out) != want {
			t.Errorf("syncmon %s printed\n%s\nwant\n%s", arg, out, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, bin, "serve", "--listen", "127.0.0.1:0", "--database", filepath.Join(dir, "v.db"))
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if line := sc.Text(); strings.Contains(line, "msg=listening") {
			if !strings.Contains(line, " version=9.8.7-test+") {
				t.Errorf("server announces %q, want version=9.8.7-test+<ui hash>", line)
			}
			return
		}
	}
	t.Fatalf("serve exited or timed out before listening: %v", ctx.Err())
}
