package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A cluster section without its secret: serve refuses to start, saying
// what to set; config check notes the variable as needed by serve (like
// every *_env secret) but refuses a secret that is set and too short.
func TestClusterSecretRequired(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	doc := "listen: \"127.0.0.1:0\"\ndatabase: " + filepath.Join(dir, "s.db") + "\ntargets: [{name: demo, kind: simulator}]\n" +
		"cluster: {node: a, listen: \"127.0.0.1:6222\", data_dir: " + filepath.Join(dir, "js") + ", replicas: 1}\n"
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	none := func(string) string { return "" }
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"serve", "--config", p}, none, nil, &out, &errOut)
	want := "cluster.secret_env: SYNCMON_CLUSTER_SECRET is not set: every node needs the same secret, at least 16 characters"
	if err == nil || !strings.Contains(err.Error()+errOut.String(), want) {
		t.Fatalf("serve without the secret: %v %s, want %q", err, errOut.String(), want)
	}
	out.Reset()
	if err := run(context.Background(), []string{"config", "check", p}, none, nil, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "needed by serve: SYNCMON_CLUSTER_SECRET") {
		t.Fatalf("config check without the secret: %v, out %q, stderr %q", err, out.String(), errOut.String())
	}
	errOut.Reset()
	short := func(k string) string {
		if k == "SYNCMON_CLUSTER_SECRET" {
			return "too-short"
		}
		return ""
	}
	err = run(context.Background(), []string{"config", "check", p}, short, nil, &out, &errOut)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 || !strings.Contains(errOut.String(), "SYNCMON_CLUSTER_SECRET is too short") ||
		strings.Contains(errOut.String(), "too-short") {
		t.Fatalf("config check with a short secret: %v, stderr %q", err, errOut.String())
	}
}
