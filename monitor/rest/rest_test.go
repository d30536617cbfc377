package rest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor/internal/golden"
	"github.com/syncmon/syncmon/monitor/rest"

	"github.com/syncmon/syncmon/monitor"
)

const (
	restUser     = "oggadmin"
	restPassword = "s3cret-Pa55word"
)

// restFixture reads testdata/name.
func restFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// restResult is what a golden file records: the parser's result or its error.
type restResult struct {
	Result     any    `json:"result,omitempty"`
	Error      string `json:"error,omitempty"`
	Unreadable bool   `json:"unreadable,omitempty"`
}

func restOutcome(v any, err error) restResult {
	if err != nil {
		return restResult{Error: err.Error(), Unreadable: errors.Is(err, monitor.ErrUnreadable)}
	}
	return restResult{Result: v}
}

func TestParseGolden(t *testing.T) {
	envelope := func(b []byte) restResult { return restOutcome(rest.ParseEnvelope(bytes.NewReader(b))) }
	list := func(b []byte) restResult { return restOutcome(rest.ParseList(bytes.NewReader(b))) }
	status := func(b []byte) restResult { return restOutcome(rest.ParseStatus(bytes.NewReader(b))) }
	service := func(b []byte) restResult { return restOutcome(rest.ParseServiceDetail(b, time.Time{})) }
	messages := func(b []byte) restResult { return restOutcome(rest.ParseMessages(bytes.NewReader(b))) }
	// httpStatus reads a raw HTTP response and parses its body as a status.
	httpStatus := func(b []byte) restResult {
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(b)), nil)
		if err != nil {
			return restOutcome(nil, err)
		}
		defer resp.Body.Close()
		_, err = rest.ParseStatus(resp.Body)
		return restResult{Result: resp.StatusCode, Error: err.Error(), Unreadable: errors.Is(err, monitor.ErrUnreadable)}
	}

	tests := []struct {
		file  string
		parse func([]byte) restResult
	}{
		{"ma_commands_execute_lag_report_request.json", envelope},
		{"ma_deployment_service_distsrvr_stopped_COMPOSED.json", service},
		{"ma_deployment_services_list_COMPOSED.json", list},
		{"ma_deployments_list_COMPOSED.json", list},
		{"ma_extract_create_response_23ai.json", envelope},
		{"ma_extract_not_found_404_COMPOSED.json", envelope},
		{"ma_extract_status_abended_COMPOSED.json", status},
		{"ma_extract_status_running_COMPOSED.json", status},
		{"ma_extracts_list_COMPOSED.json", list},
		{"ma_http_401_unauthorized_COMPOSED.txt", httpStatus},
		{"ma_masterkey_collection_response_23ai.json", list},
		{"ma_messages_COMPOSED.json", messages},
		{"ma_monitoring_messages_12.3_doc_example.json", messages},
		{"ma_replicat_create_response_23ai.json", envelope},
		{"ma_replicat_status_abended_COMPOSED.json", status},
		{"ma_replicats_list_COMPOSED.json", list},
		{"ma_replicats_list_empty_COMPOSED.json", list},
		{"ma_reverse_proxy_502_html_COMPOSED.html", status},
		{"ma_standard_response_message_only_23ai.json", envelope},
		{"ma_truncated_body_COMPOSED.json", status},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			got := tc.parse(restFixture(t, tc.file))
			name := strings.TrimSuffix(tc.file, filepath.Ext(tc.file))
			golden.Check(t, filepath.Join("testdata", name+".golden.json"), got)
		})
	}
	// Every fixture copied into testdata has a golden test.
	all, _ := filepath.Glob(filepath.Join("testdata", "ma_*"))
	for _, f := range all {
		if base := filepath.Base(f); !strings.Contains(base, ".golden.") && !seen[base] {
			t.Errorf("fixture %s has no golden test", base)
		}
	}
}

func TestParseStatusQuirks(t *testing.T) {
	i := func(n int64) *int64 { return &n }
	tests := []struct {
		name    string
		body    string
		want    monitor.Process
		wantErr string
	}{
		{"numbers as strings", `{"response":{"status":"running","lag":"7","sinceLagReported":"12","lastStarted":null}}`,
			monitor.Process{Status: "RUNNING", LagSeconds: i(7), CheckpointAgeSeconds: i(12)}, ""},
		{"never started", `{"messages":[],"response":{"status":"stopped","lastStarted":null}}`,
			monitor.Process{Status: "STOPPED"}, ""},
		{"nulls and empty strings", `{"response":{"status":"killed","lag":null,"sinceLagReported":""}}`,
			monitor.Process{Status: "KILLED"}, ""},
		{"floats and thousands", `{"response":{"status":"Starting","lag":2.9,"sinceLagReported":"1,234"}}`,
			monitor.Process{Status: "STARTING", LagSeconds: i(2), CheckpointAgeSeconds: i(1234)}, ""},
		{"clock style", `{"response":{"status":"ABENDED","lag":"653:55:55","sinceLagReported":"garbage"}}`,
			monitor.Process{Status: "ABENDED", LagSeconds: i(653*3600 + 55*60 + 55)}, ""},
		{"status nobody knows", `{"response":{"status":"paused"}}`, monitor.Process{Status: "UNKNOWN"}, ""},
		{"wrong types", `{"response":{"status":"running","lag":true,"sinceLagReported":{}}}`, monitor.Process{Status: "RUNNING"}, ""},
		{"messages only", `{"messages":[{"code":"OGG-08100","severity":"ERROR","title":"No such group."}]}`, monitor.Process{},
			"parse rest status: body has no response: OGG-08100 No such group."},
		{"no status", `{"response":{"lag":1}}`, monitor.Process{}, "parse rest status: response has no status"},
		{"status not a string", `{"response":{"status":3}}`, monitor.Process{}, "parse rest status: response has no status"},
		{"response not an object", `{"response":[1]}`, monitor.Process{}, "response is not a status object"},
		{"empty", ``, monitor.Process{}, "empty body"},
		{"top level array", `[]`, monitor.Process{}, "body is not a response envelope but a JSON array"},
		{"raw HTTP", "HTTP/1.1 401 Unauthorized\r\n\r\n", monitor.Process{}, `raw HTTP response where JSON was expected ("HTTP/1.1 401 Unauthorized")`},
		{"garbage", `lag=3`, monitor.Process{}, "invalid JSON at byte 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := rest.ParseStatus(strings.NewReader(tc.body))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				if !errors.Is(err, monitor.ErrUnreadable) {
					t.Errorf("got %v, want it to match ErrUnreadable", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g, w := fmt.Sprint(showProcess(got)), fmt.Sprint(showProcess(tc.want)); g != w {
				t.Errorf("got %s, want %s", g, w)
			}
		})
	}
}

// show prints a Process with its pointers followed.
func showProcess(p monitor.Process) string {
	v := func(n *int64) string {
		if n == nil {
			return "nil"
		}
		return fmt.Sprint(*n)
	}
	return fmt.Sprintf("%s/%s/%s lag=%s ckpt=%s", p.Program, p.Group, p.Status, v(p.LagSeconds), v(p.CheckpointAgeSeconds))
}

func TestParseListErrors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"no response", `{"messages":[]}`, "body has no response"},
		{"no items", `{"response":{"$schema":"ogg:collection"}}`, "response has no items"},
		{"item without name", `{"response":{"items":[{"name":"A"},{}]}}`, "item 1 has no name"},
		{"items not a list", `{"response":{"items":{}}}`, "not a collection"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := rest.ParseList(strings.NewReader(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, monitor.ErrUnreadable) {
				t.Fatalf("got %v, want an ErrUnreadable containing %q", err, tc.want)
			}
		})
	}
}

// fakeAdminService is a fake Administration Service replaying the fixtures. Its
// fields may be changed per test before the first request.
type fakeAdminService struct {
	t        testing.TB
	routes   map[string]func(w http.ResponseWriter, r *http.Request)
	inflight atomic.Int64
	maxSeen  atomic.Int64
	hold     time.Duration // how long each status request takes
}

func newFakeAdminService(t testing.TB) *fakeAdminService {
	d := &fakeAdminService{t: t, routes: map[string]func(http.ResponseWriter, *http.Request){}}
	d.json("/services/v2/extracts", "ma_extracts_list_COMPOSED.json")
	d.json("/services/v2/replicats", "ma_replicats_list_COMPOSED.json")
	d.json("/services/v2/extracts/EXT1/info/status", "ma_extract_status_running_COMPOSED.json")
	d.json("/services/v2/extracts/EXT2/info/status", "ma_extract_status_abended_COMPOSED.json")
	d.json("/services/v2/extracts/PMP1/info/status", "ma_extract_status_running_COMPOSED.json")
	d.json("/services/v2/replicats/REP1/info/status", "ma_replicat_status_abended_COMPOSED.json")
	d.raw("/services/v2/replicats/REP2/info/status", 200,
		`{"$schema":"api:standardResponse","links":[],"messages":[],"response":{"$schema":"ogg:replicatStatus","lag":"0","lastStarted":null,"sinceLagReported":"3","status":"running"}}`)
	d.json("/services/v2/messages", "ma_messages_COMPOSED.json")
	return d
}

func (d *fakeAdminService) json(path, fixture string) {
	b := restFixture(d.t, fixture)
	d.routes[path] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}
}

func (d *fakeAdminService) raw(path string, code int, body string) {
	d.routes[path] = func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(body, "<") {
			w.Header().Set("Content-Type", "text/html")
		} else if body != "" {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func (d *fakeAdminService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := d.inflight.Add(1)
	defer d.inflight.Add(-1)
	for m := d.maxSeen.Load(); n > m && !d.maxSeen.CompareAndSwap(m, n); m = d.maxSeen.Load() {
	}
	if u, p, ok := r.BasicAuth(); !ok || u != restUser || p != restPassword {
		w.Header().Set("WWW-Authenticate", `Basic realm="Oracle GoldenGate"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if d.hold > 0 && strings.HasSuffix(r.URL.Path, "/info/status") {
		select { // simulated service latency, so that requests overlap
		case <-time.After(d.hold):
		case <-r.Context().Done():
			return
		}
	}
	h, ok := d.routes[r.URL.Path]
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write(restFixture(d.t, "ma_extract_not_found_404_COMPOSED.json"))
		return
	}
	h(w, r)
}

// startDeployment serves d over TLS and returns a target for it that
// trusts the server's certificate through InsecureSkipVerify.
func startFakeAdminService(t *testing.T, d *fakeAdminService) (*httptest.Server, monitor.Target) {
	t.Helper()
	srv := httptest.NewTLSServer(d)
	t.Cleanup(srv.Close)
	return srv, monitor.Target{
		Name: "prod-ma", Kind: monitor.KindREST, URL: srv.URL,
		Username: restUser, Password: restPassword, InsecureSkipVerify: true,
		Timeout: 5 * time.Second,
	}
}

func newTestCollector(t *testing.T, target monitor.Target) *rest.Collector {
	t.Helper()
	c, err := rest.NewCollector(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func showProcesses(ps []monitor.Process) string {
	var s []string
	for _, p := range ps {
		s = append(s, showProcess(p))
	}
	return strings.Join(s, "\n")
}

func TestCollectHealthy(t *testing.T) {
	d := newFakeAdminService(t)
	_, target := startFakeAdminService(t, d)
	got, err := newTestCollector(t, target).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"ADMINSRVR//RUNNING lag=nil ckpt=nil",
		"EXTRACT/EXT1/RUNNING lag=2 ckpt=4",
		"EXTRACT/EXT2/ABENDED lag=0 ckpt=4331",
		"EXTRACT/PMP1/RUNNING lag=2 ckpt=4",
		"REPLICAT/REP1/ABENDED lag=312 ckpt=1907",
		"REPLICAT/REP2/RUNNING lag=0 ckpt=3",
	}, "\n")
	if g := showProcesses(got); g != want {
		t.Errorf("got\n%s\nwant\n%s", g, want)
	}
}

func TestCollectNoReplicats(t *testing.T) {
	d := newFakeAdminService(t)
	d.json("/services/v2/replicats", "ma_replicats_list_empty_COMPOSED.json")
	d.json("/services/v2/extracts", "ma_replicats_list_empty_COMPOSED.json")
	_, target := startFakeAdminService(t, d)
	got, err := newTestCollector(t, target).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if g, w := showProcesses(got), "ADMINSRVR//RUNNING lag=nil ckpt=nil"; g != w {
		t.Errorf("got %s, want %s", g, w)
	}
}

func TestCollectProxyPrefix(t *testing.T) {
	d := newFakeAdminService(t)
	for p, h := range d.routes {
		d.routes[strings.Replace(p, "/services/v2/", "/services/WEST/adminsrvr/v2/", 1)] = h
		delete(d.routes, p)
	}
	_, target := startFakeAdminService(t, d)
	target.URL += "/services/WEST/adminsrvr/"
	got, err := newTestCollector(t, target).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 6 {
		t.Errorf("got %d rows, want 6:\n%s", len(got), showProcesses(got))
	}
}

func TestCollectErrors(t *testing.T) {
	html502 := string(restFixture(t, "ma_reverse_proxy_502_html_COMPOSED.html"))
	truncated := string(restFixture(t, "ma_truncated_body_COMPOSED.json"))
	tests := []struct {
		name     string
		setup    func(d *fakeAdminService, target *monitor.Target)
		want     error
		contains string
	}{
		{"401 empty body", func(d *fakeAdminService, target *monitor.Target) { target.Password = "wrong-Pa55" },
			monitor.ErrCredentials, "HTTP 401 Unauthorized: credentials refused"},
		{"403", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/replicats", 403, `{"messages":[{"code":"OGG-12064","severity":"ERROR","title":"Not authorized."}]}`)
		}, monitor.ErrCredentials, "HTTP 403 Forbidden (OGG-12064 Not authorized.): credentials refused"},
		{"404 for the list", func(d *fakeAdminService, target *monitor.Target) {
			delete(d.routes, "/services/v2/extracts")
		}, monitor.ErrUnreadable, "Administration Service"},
		{"500", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/replicats/REP1/info/status", 500, `{"messages":[{"code":"OGG-00000","severity":"ERROR","title":"Internal error."}]}`)
		}, monitor.ErrUnreachable, "HTTP 500 Internal Server Error (OGG-00000 Internal error.)"},
		{"502 HTML from a proxy", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/extracts", 502, html502)
		}, monitor.ErrUnreachable, `HTTP 502 Bad Gateway (HTML page "502 Bad Gateway")`},
		{"truncated body", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/replicats/REP1/info/status", 200, truncated)
		}, monitor.ErrUnreadable, "truncated JSON"},
		{"HTML instead of JSON", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/replicats", 200, html502)
		}, monitor.ErrUnreadable, `HTML where JSON was expected ("502 Bad Gateway")`},
		{"messages with no response", func(d *fakeAdminService, target *monitor.Target) {
			d.json("/services/v2/extracts/EXT1/info/status", "ma_standard_response_message_only_23ai.json")
		}, monitor.ErrUnreadable, "body has no response: OGG-15114 Credential store altered."},
		{"oversized body with length", func(d *fakeAdminService, target *monitor.Target) {
			d.raw("/services/v2/extracts", 200, `{"response":{"items":[]},"pad":"`+strings.Repeat("x", rest.DefaultMaxBody)+`"}`)
		}, monitor.ErrUnreadable, "response larger than 4194304 bytes"},
		{"oversized body streamed", func(d *fakeAdminService, target *monitor.Target) {
			d.routes["/services/v2/extracts"] = func(w http.ResponseWriter, r *http.Request) {
				chunk := []byte(strings.Repeat(" ", 64<<10))
				for range rest.DefaultMaxBody/len(chunk) + 2 {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					w.(http.Flusher).Flush() // no Content-Length: chunked
				}
			}
		}, monitor.ErrUnreadable, "response larger than"},
		{"slow server past the deadline", func(d *fakeAdminService, target *monitor.Target) {
			target.Timeout = 200 * time.Millisecond
			d.routes["/services/v2/replicats"] = func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done() // never answers; released when the client gives up
			}
		}, monitor.ErrUnreachable, "timed out"},
		{"connection refused", func(d *fakeAdminService, target *monitor.Target) {
			l := httptest.NewUnstartedServer(http.NotFoundHandler())
			target.URL = "https://" + l.Listener.Addr().String()
			l.Close()
		}, monitor.ErrUnreachable, "no answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeAdminService(t)
			_, target := startFakeAdminService(t, d)
			tc.setup(d, &target)
			start := time.Now()
			got, err := newTestCollector(t, target).Collect(t.Context())
			if err == nil {
				t.Fatalf("got %s, want an error", showProcesses(got))
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want it to match %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("got %q, want it to contain %q", err, tc.contains)
			}
			if strings.Contains(err.Error(), restPassword) || strings.Contains(err.Error(), "wrong-Pa55") {
				t.Errorf("error %q reveals the password", err)
			}
			if got != nil {
				t.Errorf("got processes %v with an error", got)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Collect took %s", d)
			}
		})
	}
}

func TestCollectGroupGone(t *testing.T) {
	d := newFakeAdminService(t)
	delete(d.routes, "/services/v2/extracts/EXT2/info/status") // listed, then deleted: 404
	_, target := startFakeAdminService(t, d)
	got, err := newTestCollector(t, target).Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if p.Group == "EXT2" {
			t.Errorf("got %s, want EXT2 left out", showProcess(p))
		}
	}
	if len(got) != 5 {
		t.Errorf("got %d rows, want 5", len(got))
	}
}

func TestCollectContextDeadline(t *testing.T) {
	d := newFakeAdminService(t)
	d.routes["/services/v2/extracts"] = func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	_, target := startFakeAdminService(t, d)
	target.Timeout = 0 // the caller's ctx is the only deadline
	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	_, err := newTestCollector(t, target).Collect(ctx)
	if !errors.Is(err, monitor.ErrUnreachable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrUnreachable and DeadlineExceeded", err)
	}
}

func TestCollectBoundedConcurrency(t *testing.T) {
	d := newFakeAdminService(t)
	d.hold = 5 * time.Millisecond
	var items []string
	for i := range 30 {
		name := fmt.Sprintf("R%02d", i)
		items = append(items, fmt.Sprintf(`{"name":%q}`, name))
		d.json("/services/v2/replicats/"+name+"/info/status", "ma_replicat_status_abended_COMPOSED.json")
	}
	d.raw("/services/v2/replicats", 200, `{"response":{"items":[`+strings.Join(items, ",")+`]}}`)
	_, target := startFakeAdminService(t, d)
	c := newTestCollector(t, target)
	got, err := c.Collect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1+3+30 {
		t.Errorf("got %d rows, want 34", len(got))
	}
	if m := d.maxSeen.Load(); m > int64(c.Concurrency) {
		t.Errorf("got %d requests in flight, want at most %d", m, c.Concurrency)
	}
}

func TestTLS(t *testing.T) {
	d := newFakeAdminService(t)
	srv, target := startFakeAdminService(t, d)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("ca file", func(t *testing.T) {
		tg := target
		tg.InsecureSkipVerify, tg.CAFile = false, caFile
		if _, err := newTestCollector(t, tg).Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		if _, err := newTestCollector(t, target).Collect(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("neither", func(t *testing.T) {
		tg := target
		tg.InsecureSkipVerify = false
		_, err := newTestCollector(t, tg).Collect(t.Context())
		if !errors.Is(err, monitor.ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
		if !strings.Contains(err.Error(), "TLS certificate not trusted (set ca_file") {
			t.Errorf("got %q, want it to explain the certificate", err)
		}
	})
	t.Run("bad ca files", func(t *testing.T) {
		notPEM := filepath.Join(t.TempDir(), "not.pem")
		os.WriteFile(notPEM, []byte("hello"), 0o600)
		for _, f := range []string{filepath.Join(t.TempDir(), "missing.pem"), notPEM} {
			tg := target
			tg.CAFile = f
			if _, err := rest.NewCollector(tg); err == nil {
				t.Errorf("CA file %s: got no error", filepath.Base(f))
			}
		}
	})
}

func TestNewCollectorURL(t *testing.T) {
	for _, u := range []string{"", "ftp://host", "https://", "https://oggadmin:" + restPassword + "@host:9012", "://bad"} {
		_, err := rest.NewCollector(monitor.Target{Name: "x", URL: u})
		if err == nil {
			t.Errorf("url %q: got no error", u)
			continue
		}
		if strings.Contains(err.Error(), restPassword) {
			t.Errorf("url %q: error %q reveals the password", u, err)
		}
	}
}

func TestCollectLog(t *testing.T) {
	d := newFakeAdminService(t)
	var (
		mu   sync.Mutex
		body = restFixture(t, "ma_messages_COMPOSED.json")
	)
	d.routes["/services/v2/messages"] = func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Write(body)
	}
	_, target := startFakeAdminService(t, d)
	c := newTestCollector(t, target)

	got, err := c.CollectLog(t.Context())
	if err != nil || len(got) != 0 {
		t.Fatalf("first call: got %v, %v; want nothing (baseline)", got, err)
	}
	mu.Lock()
	body = bytes.Replace(body, []byte(`"title": "PROCESS ABENDING."`),
		[]byte(`"title": "PROCESS ABENDING."},{"code":"OGG-01668","severity":"ERROR","issued":"2024-01-15T10:40:00Z","title":"PROCESS ABENDING AGAIN."`), 1)
	mu.Unlock()
	got, err = c.CollectLog(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message != "PROCESS ABENDING AGAIN." || got[0].Severity != "ERROR" {
		t.Errorf("got %+v, want the one new message", got)
	}
	got, err = c.CollectLog(t.Context())
	if err != nil || len(got) != 0 {
		t.Errorf("third call: got %v, %v; want nothing new", got, err)
	}

	delete(d.routes, "/services/v2/messages")
	got, err = c.CollectLog(t.Context())
	if err != nil || got != nil {
		t.Errorf("no endpoint: got %v, %v; want nil, nil", got, err)
	}
}

func FuzzParseList(f *testing.F) {
	fuzzSeedREST(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		names, err := rest.ParseList(bytes.NewReader(b))
		if err != nil && !errors.Is(err, monitor.ErrUnreadable) {
			t.Fatalf("error %v does not match ErrUnreadable", err)
		}
		if err == nil && names == nil {
			t.Fatal("nil names without an error")
		}
	})
}

func FuzzParseStatus(f *testing.F) {
	fuzzSeedREST(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := rest.ParseStatus(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, monitor.ErrUnreadable) {
				t.Fatalf("error %v does not match ErrUnreadable", err)
			}
			return
		}
		switch p.Status {
		case monitor.StatusRunning, monitor.StatusStopped, monitor.StatusAbended,
			monitor.StatusStarting, monitor.StatusKilled, monitor.StatusUnknown:
		default:
			t.Fatalf("status %q is not one of the constants", p.Status)
		}
	})
}

func FuzzParseMessages(f *testing.F) {
	fuzzSeedREST(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, parse := range []func(io.Reader) error{
			func(r io.Reader) error { _, err := rest.ParseMessages(r); return err },
			func(r io.Reader) error { _, err := rest.ParseEnvelope(r); return err },
		} {
			if err := parse(bytes.NewReader(b)); err != nil && !errors.Is(err, monitor.ErrUnreadable) {
				t.Fatalf("error %v does not match ErrUnreadable", err)
			}
		}
	})
}

func fuzzSeedREST(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "ma_*"))
	for _, file := range files {
		if !strings.Contains(file, ".golden.") {
			f.Add(restFixture(f, filepath.Base(file)))
		}
	}
	f.Add([]byte(`{"response":{"status":"running","lag":"1:02:03","sinceLagReported":1e300}}`))
}
