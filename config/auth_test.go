package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/config"
)

const oneTarget = "targets: [{name: a, kind: simulator}]\n"

func TestAuthDefaultsAndKeys(t *testing.T) {
	cfg, err := config.Parse([]byte(oneTarget), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Auth.AnonymousViewer {
		t.Fatal("a config file without auth: anonymous viewing on, want off")
	}
	if cfg.Auth.SessionIdle != 2*time.Hour || cfg.Auth.SessionMax != 24*time.Hour || cfg.Auth.KioskSession != 400*24*time.Hour {
		t.Fatalf("auth defaults = %+v", cfg.Auth)
	}
	if cfg.TLSCert != "" || cfg.TLSKey != "" || cfg.Auth.MetricsToken != "" {
		t.Fatalf("tls/metrics defaults = %q %q %q", cfg.TLSCert, cfg.TLSKey, cfg.Auth.MetricsToken)
	}

	doc := "auth:\n  anonymous_viewer: true\n  session_idle: 30m\n  session_max: 12h\n  kiosk_session: 720h\n  metrics_token_env: MT\n" + oneTarget
	cfg, err = config.Parse([]byte(doc), env(map[string]string{"MT": "0123456789abcdef0123"}))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Auth
	if !a.AnonymousViewer || a.SessionIdle != 30*time.Minute || a.SessionMax != 12*time.Hour || a.KioskSession != 720*time.Hour {
		t.Fatalf("auth = %+v", a)
	}
	if a.MetricsToken.Reveal() != "0123456789abcdef0123" || fmt.Sprint(a.MetricsToken) != "[redacted]" || strings.Contains(fmt.Sprintf("%+v", cfg), "0123456789abcdef") {
		t.Fatal("metrics token not read, or not redacted when printed")
	}
}

func TestAuthAndTLSErrorsNameKeyAndLine(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		doc  string
		env  map[string]string
		want []string
	}{
		{"bad duration", "auth:\n  session_idle: soon\n" + oneTarget, nil, []string{"line 2", "auth.session_idle", "invalid duration"}},
		{"idle above max", "auth:\n  session_idle: 48h\n  session_max: 24h\n" + oneTarget, nil, []string{"line 2", "auth.session_idle", "session_max"}},
		{"metrics env unset", "auth:\n  metrics_token_env: NOPE\n" + oneTarget, nil, []string{"line 2", "auth.metrics_token_env", "NOPE is not set"}},
		{"metrics token short", "auth:\n  metrics_token_env: MT\n" + oneTarget, map[string]string{"MT": "abc12"}, []string{"auth.metrics_token_env", "too short"}},
		{"unknown auth key", "auth:\n  anonymous: true\n" + oneTarget, nil, []string{"line 2", `unknown key "anonymous"`}},
		{"cert without key", "tls_cert: " + cert + "\n" + oneTarget, nil, []string{"line 1", "tls_key", "required with tls_cert"}},
		{"key without cert", "tls_key: " + cert + "\n" + oneTarget, nil, []string{"line 1", "tls_cert", "required with tls_key"}},
		{"missing files", "tls_cert: /nonexistent/c.pem\ntls_key: /nonexistent/k.pem\n" + oneTarget, nil, []string{"line 1: tls_cert", "line 2: tls_key"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.doc), env(tc.env))
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if tc.env != nil && strings.Contains(err.Error(), tc.env["MT"]) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
	cfg, err := config.Parse([]byte("tls_cert: "+cert+"\ntls_key: "+cert+"\n"+oneTarget), env(nil))
	if err != nil || cfg.TLSCert != cert || cfg.TLSKey != cert {
		t.Fatalf("tls pair: %+v, %v", cfg, err)
	}
}
