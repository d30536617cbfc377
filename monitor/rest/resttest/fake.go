// Package resttest is a fake GoldenGate Service Manager for tests: one
// real HTTP server on 127.0.0.1 per service (Service Manager,
// Administration, Distribution, Receiver and Performance Metrics), replaying
// the fixtures in testdata/ (from shared/fixtures/ogg), with the state a
// test changes: service and path statuses, PM status changes and messages.
package resttest

import (
	"embed"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed testdata/*.json
var fixtures embed.FS

// Credentials the fake accepts (HTTP Basic).
const (
	Username = "oggadmin"
	Password = "fake-ogg-password"
)

// Deployment is the deployment the fixtures name.
const Deployment = "dep1"

// ServiceManager is the fake. Its fields change under its lock: use the
// setters while servers run.
type ServiceManager struct {
	URL string // the Service Manager's base URL: http://127.0.0.1:PORT

	mu       sync.Mutex
	services map[string]string // adminsrvr … → running / stopped
	ports    map[string]int
	servers  map[string]*httptest.Server
	groups   map[string]string // EXT1 … → running / abended / stopped
	paths    map[string]string // distribution path → running / stopped …
	changes  []change
	messages []message
	nextID   int64
	hits     map[string]int
	noPMLog  bool // the PM service has no message log (404)
}

type change struct {
	id                    int64
	process, kind, status string
	at                    time.Time
}

type message struct {
	id                           int64
	process, code, severity, txt string
	at                           time.Time
}

// New starts the fake with every service running and every group and path
// running but dp-archive.01, which never started (stopped), and earlier
// status changes up to id 40 and 10 earlier messages.
func New(tb testing.TB) *ServiceManager {
	tb.Helper()
	f := &ServiceManager{
		services: map[string]string{"adminsrvr": "running", "distsrvr": "running", "recvsrvr": "running", "pmsrvr": "running"},
		ports:    map[string]int{},
		servers:  map[string]*httptest.Server{},
		groups:   map[string]string{"EXT1": "running", "EXT2": "running", "PMP1": "running", "REP1": "running", "REP2": "running"},
		paths:    map[string]string{"dpeast2west": "running", "dpeast2north": "running", "dp-archive.01": "stopped"},
		nextID:   41,
		hits:     map[string]int{},
	}
	for i := 0; i < 10; i++ {
		f.messages = append(f.messages, message{id: int64(i + 1), process: "EXT1", code: "OGG-00001", severity: "GGInfo", txt: "old message", at: time.Now()})
	}
	for svc, h := range map[string]http.HandlerFunc{"adminsrvr": f.admin, "distsrvr": f.dist, "recvsrvr": f.recv, "pmsrvr": f.pm} {
		s := httptest.NewServer(f.auth(h))
		tb.Cleanup(s.Close)
		u, _ := url.Parse(s.URL)
		f.ports[svc], _ = strconv.Atoi(u.Port())
		f.servers[svc] = s
	}
	sm := httptest.NewServer(f.auth(f.sm))
	tb.Cleanup(sm.Close)
	f.URL = sm.URL
	return f
}

// SetService sets a service's status as the Service Manager reports it.
func (f *ServiceManager) SetService(name, status string) { f.set(f.services, name, status) }

// Crash closes a service's server while the Service Manager still
// reports it running: its port refuses connections.
func (f *ServiceManager) Crash(name string) { f.servers[name].Close() }

// SetGroup sets an Extract's or Replicat's status ("running", "abended" …).
func (f *ServiceManager) SetGroup(name, status string) { f.set(f.groups, name, status) }

// SetPath sets a distribution path's status.
func (f *ServiceManager) SetPath(name, status string) { f.set(f.paths, name, status) }

func (f *ServiceManager) set(m map[string]string, k, v string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m[k] = v
}

// StatusChange records a PM status change ("Abend" …) and returns its id.
// SetGroup is not implied: call both, as OGG would change both.
func (f *ServiceManager) StatusChange(process, kind, status string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextID
	f.nextID++
	f.changes = append(f.changes, change{id: id, process: process, kind: kind, status: status, at: time.Now().UTC()})
	return id
}

// Message records a PM message ("GGError", "OGG-01668" …).
func (f *ServiceManager) Message(process, severity, code, text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.messages = append(f.messages, message{id: int64(len(f.messages) + 1), process: process, code: code, severity: severity, txt: text, at: time.Now().UTC()})
}

// DropPMMessages makes the PM service answer 404 for its message log, as
// releases without it do: messages are then read from the
// Administration Service's list.
func (f *ServiceManager) DropPMMessages() { f.mu.Lock(); f.noPMLog = true; f.mu.Unlock() }

// Hits returns how often a path (without query) was asked for.
func (f *ServiceManager) Hits(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

func (f *ServiceManager) auth(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != Username || p != Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="OGG"`)
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.hits[r.URL.Path]++
		f.mu.Unlock()
		h(w, r)
	})
}

func fixture(name string) string {
	b, err := fixtures.ReadFile("testdata/" + name)
	if err != nil {
		panic(err) // embedded at build time: a missing one is a bug in this package
	}
	return string(b)
}

func write(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, body)
}

func (f *ServiceManager) sm(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/services/v2/deployments")
	switch {
	case p == "":
		write(w, fixture("ma_deployments_list_COMPOSED.json"))
	case p == "/"+Deployment+"/services":
		write(w, fixture("ma_deployment_services_list_COMPOSED.json"))
	case strings.HasPrefix(p, "/"+Deployment+"/services/"):
		svc := strings.TrimPrefix(p, "/"+Deployment+"/services/")
		f.mu.Lock()
		status, ok := f.services[svc]
		port := f.ports[svc]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := fixture("ma_deployment_service_distsrvr_stopped_COMPOSED.json")
		body = strings.Replace(body, `"status": "stopped"`, `"status": "`+status+`"`, 1)
		write(w, strings.Replace(body, "9013", strconv.Itoa(port), 1))
	default:
		http.NotFound(w, r)
	}
}

func (f *ServiceManager) admin(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/services/v2")
	switch {
	case p == "/extracts":
		write(w, fixture("ma_extracts_list_COMPOSED.json"))
	case p == "/replicats":
		write(w, fixture("ma_replicats_list_COMPOSED.json"))
	case strings.HasSuffix(p, "/info/status"):
		name := strings.Split(p, "/")[2]
		f.mu.Lock()
		status, ok := f.groups[name]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		write(w, strings.Replace(fixture("ma_extract_status_running_COMPOSED.json"), `"status": "running"`, `"status": "`+status+`"`, 1))
	case p == "/connections":
		write(w, `{"$schema":"api:standardResponse","links":[],"messages":[],"response":{"$schema":"ogg:collection","items":[{"$schema":"ogg:collectionItem","name":"OracleGoldenGate.ggwest"}]}}`)
	case p == "/connections/OracleGoldenGate.ggwest/tables/heartbeatData":
		write(w, fixture("ma_connections_heartbeatdata_COMPOSED.json"))
	case p == "/messages":
		f.mu.Lock()
		var items []string
		for _, m := range f.messages {
			sev := strings.ToUpper(strings.TrimPrefix(m.severity, "GG"))
			items = append(items, fmt.Sprintf(`{"$schema":"ogg:message","code":%q,"severity":%q,"issued":%q,"title":%q}`,
				m.code, sev, m.at.Format(time.RFC3339Nano), m.process+": "+m.txt))
		}
		f.mu.Unlock()
		write(w, `{"$schema":"api:standardResponse","links":[],"messages":[],"response":{"$schema":"ogg:messages","items":[`+strings.Join(items, ",")+`]}}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *ServiceManager) dist(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/services/v2/sources")
	switch {
	case p == "":
		write(w, fixture("ma_sources_list_COMPOSED.json"))
	case strings.HasSuffix(p, "/info"):
		if strings.TrimSuffix(p, "/info") == "/dp-archive.01" {
			write(w, fixture("ma_sources_path_info_never_started_COMPOSED.json"))
			return
		}
		write(w, fixture("ma_sources_path_info_COMPOSED.json"))
	default:
		name := strings.TrimPrefix(p, "/")
		f.mu.Lock()
		status, ok := f.paths[name]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		body := fixture("ma_sources_path_detail_running_COMPOSED.json")
		body = strings.Replace(body, `"status": "running"`, `"status": "`+status+`"`, 1)
		write(w, strings.ReplaceAll(body, "dpeast2west", name))
	}
}

func (f *ServiceManager) recv(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/services/v2/targets")
	switch {
	case p == "":
		write(w, fixture("ma_targets_list_COMPOSED.json"))
	case p == "/dpeast2west" || p == "/dpnorth2west":
		write(w, strings.ReplaceAll(fixture("ma_sources_path_detail_running_COMPOSED.json"), "dpeast2west", p[1:]))
	default:
		http.NotFound(w, r) // no /info on a receiver path
	}
}

func (f *ServiceManager) pm(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/services/v2")
	f.mu.Lock()
	defer f.mu.Unlock()
	from, _ := strconv.ParseInt(r.URL.Query().Get("fromID"), 10, 64)
	if f.noPMLog && strings.HasPrefix(p, "/monitoring/") && strings.Contains(p, "essage") {
		http.NotFound(w, r)
		return
	}
	switch p {
	case "/monitoring/lastStatusChangeId":
		write(w, fmt.Sprintf(`{"$schema":"api:standardResponse","response":{"$schema":"monitoring:lastStatusChangeId","lastId":%d},"messages":[],"links":[]}`, f.nextID-1))
	case "/monitoring/statusChanges":
		var items []string
		for _, c := range f.changes {
			if c.id >= from {
				items = append(items, fmt.Sprintf(`{"identifier":%d,"process":%q,"type":%q,"date":%q,"status":%q}`,
					c.id, c.process, c.kind, c.at.Format(time.RFC3339Nano), c.status))
			}
		}
		write(w, `{"$schema":"api:standardResponse","links":[],"messages":[],"response":{"$schema":"monitoring:statusChanges","statusChange":[`+strings.Join(items, ",")+`]}}`)
	case "/monitoring/lastMessageId":
		write(w, fmt.Sprintf(`{"$schema":"api:standardResponse","response":{"$schema":"monitoring:lastMessageId","lastId":"%d"},"messages":[],"links":[]}`, len(f.messages)))
	case "/monitoring/messages":
		var items []string
		for _, m := range f.messages {
			if m.id >= from {
				items = append(items, fmt.Sprintf(`{"identifier":%d,"process":%q,"issued":%q,"code":%q,"severity":%q,"text":%q}`,
					m.id, m.process, m.at.Format(time.RFC3339Nano), m.code, m.severity, m.txt))
			}
		}
		write(w, `{"$schema":"api:standardResponse","links":[],"messages":[],"response":{"$schema":"monitoring:messages","messages":[`+strings.Join(items, ",")+`]}}`)
	case "/mpoints/EXT1/currentInflightTransactions":
		write(w, fixture("ma_mpoints_current_inflight_transactions_COMPOSED.json"))
	case "/mpoints/EXT2/currentInflightTransactions":
		write(w, fixture("ma_mpoints_current_inflight_transactions_none_COMPOSED.json"))
	default:
		http.NotFound(w, r)
	}
}
