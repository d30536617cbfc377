package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/syncmon/syncmon/config"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPackagingAgrees checks that the unit the docs describe is the one the
// packages install, and that the unit, the package and its install script
// agree on the binary's path, the user and the state directory.
func TestPackagingAgrees(t *testing.T) {
	unit := readFile(t, "packaging/syncmon.service")
	nfpm := readFile(t, "packaging/nfpm.yaml")
	pre := readFile(t, "packaging/scripts/preinstall.sh")
	ops := readFile(t, "docs/OPERATIONS.md")

	for _, want := range []string{"](../packaging/syncmon.service)", "install -m 0644 packaging/syncmon.service "} {
		if !strings.Contains(ops, want) {
			t.Errorf("docs/OPERATIONS.md does not contain %q", want)
		}
	}
	for _, want := range []string{
		"src: packaging/syncmon.service\n    dst: /usr/lib/systemd/system/syncmon.service\n",
		"dst: /usr/bin/syncmon\n",
		"dst: /etc/syncmon/syncmon.yaml\n    type: config|noreplace\n",
		"dst: /etc/syncmon/syncmon.env\n    type: config|noreplace\n",
		"dst: /var/lib/syncmon\n    type: dir\n    file_info: {mode: 0700, owner: syncmon, group: syncmon}\n",
	} {
		if !strings.Contains(nfpm, want) {
			t.Errorf("packaging/nfpm.yaml does not contain %q", want)
		}
	}
	for _, line := range []string{
		"ExecStart=/usr/bin/syncmon serve --config /etc/syncmon/syncmon.yaml",
		"EnvironmentFile=/etc/syncmon/syncmon.env",
		"User=syncmon", "Group=syncmon", "WorkingDirectory=/var/lib/syncmon", "StateDirectory=syncmon",
	} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).MatchString(unit) {
			t.Errorf("packaging/syncmon.service lacks the line %q", line)
		}
	}
	if regexp.MustCompile(`(?m)^DynamicUser=yes`).MatchString(unit) {
		t.Error("packaging/syncmon.service uses DynamicUser=yes; the package creates a real syncmon user")
	}
	if !strings.Contains(pre, "useradd --system --gid syncmon --home-dir /var/lib/syncmon") || !strings.Contains(pre, "syncmon\n") {
		t.Error("packaging/scripts/preinstall.sh does not create the syncmon system user with home /var/lib/syncmon")
	}
}

// TestPackagedConfigLoads: the config the packages install is valid as is.
func TestPackagedConfigLoads(t *testing.T) {
	cfg, err := config.Load("packaging/syncmon.yaml", func(string) string { return "" })
	if err != nil {
		t.Fatalf("packaging/syncmon.yaml: %v", err)
	}
	if cfg.Database != "syncmon.db" {
		t.Errorf("database %q, want the relative syncmon.db (it lands in /var/lib/syncmon)", cfg.Database)
	}
}
