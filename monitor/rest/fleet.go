package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Fleet reads every deployment of a Service Manager (a rest target with
// service_manager_url): it lists the deployments and their services, then
// reads each deployment's Administration Service (Extracts, Replicats,
// heartbeats), Distribution and Receiver Services (paths) and Performance
// Metrics Service (open transactions). It is safe for concurrent use.
//
// Each service's URL is the Service Manager's scheme and host with the
// port of the service's config (config.network.serviceListeningPort); a
// service whose config gives no port is reached through the reverse-proxy
// convention, SM URL + /{deployment}/{service} (endpoints under …/v2).
type Fleet struct {
	sm         *Collector
	target     monitor.Target
	rediscover time.Duration
	now        func() time.Time

	mu           sync.Mutex
	deps         []fleetDeployment // as last discovered
	discoveredAt time.Time
	byBase       map[string]*Collector // one collector per service URL, reused
	pm           map[string]*Collector // each deployment's running PM service, as last seen
	admin        map[string]*Collector // and Administration Service
}

type fleetDeployment struct {
	name     string
	services []string // as the Service Manager spells them: adminsrvr …
}

// NewFleet builds the collector of a rest target with service_manager_url.
func NewFleet(t monitor.Target) (*Fleet, error) {
	smt := t
	smt.URL = t.ServiceManagerURL
	sm, err := NewCollector(smt)
	if err != nil {
		return nil, err
	}
	every := t.Rediscover
	if every <= 0 {
		every = monitor.DefaultRediscover
	}
	return &Fleet{sm: sm, target: t, rediscover: every, now: time.Now, byBase: map[string]*Collector{}, pm: map[string]*Collector{}, admin: map[string]*Collector{}}, nil
}

// Close releases idle connections.
func (f *Fleet) Close() { f.sm.Close() }

// Collect returns the process table alone; Observe is what checks call.
func (f *Fleet) Collect(ctx context.Context) ([]monitor.Process, error) {
	var obs monitor.Observation
	err := f.Observe(ctx, &obs)
	return obs.Processes, err
}

// Observe reads every deployment into obs: one process row per service
// (program ADMINSRVR …, group and deployment the deployment's name), the
// Extracts and Replicats, services, paths, heartbeats and transactions.
// The Service Manager failing fails the check; a service that does not
// answer is reported UNKNOWN (service_status then holds its deployment);
// credentials refused or an unreadable body anywhere fail the check.
func (f *Fleet) Observe(ctx context.Context, obs *monitor.Observation) error {
	ctx, cancel := f.sm.withTimeout(ctx)
	defer cancel()
	deps, err := f.discover(ctx)
	if err != nil {
		return err
	}
	parts := make([]monitor.Observation, len(deps))
	err = f.sm.each(ctx, len(deps), func(ctx context.Context, i int) error {
		return f.observeDeployment(ctx, deps[i], &parts[i])
	})
	if err != nil {
		return err
	}
	obs.Services, obs.Paths = []monitor.Service{}, []monitor.Path{}
	obs.Heartbeats, obs.Transactions = []monitor.Heartbeat{}, []monitor.Transaction{}
	obs.Processes = nil
	for _, p := range parts {
		obs.Processes = append(obs.Processes, p.Processes...)
		obs.Services = append(obs.Services, p.Services...)
		obs.Paths = append(obs.Paths, p.Paths...)
		obs.Heartbeats = append(obs.Heartbeats, p.Heartbeats...)
		obs.Transactions = append(obs.Transactions, p.Transactions...)
		obs.Unread = append(obs.Unread, p.Unread...)
	}
	return nil
}

// discover lists the deployments and their services, again once the
// rediscovery interval has passed.
func (f *Fleet) discover(ctx context.Context) ([]fleetDeployment, error) {
	f.mu.Lock()
	if f.deps != nil && f.now().Sub(f.discoveredAt) < f.rediscover {
		deps := f.deps
		f.mu.Unlock()
		return deps, nil
	}
	f.mu.Unlock()
	body, err := f.sm.get(ctx, "/v2/deployments")
	if err != nil {
		return nil, smNotFound(err)
	}
	names, err := ParseDeploymentList(body, f.now())
	if err != nil {
		return nil, fmt.Errorf("rest GET %s: %w", f.sm.endpoint("/v2/deployments"), err)
	}
	var deps []fleetDeployment
	for _, n := range names {
		if n == ServiceManagerDeployment || (len(f.target.Deployments) > 0 && !slices.Contains(f.target.Deployments, n)) {
			continue
		}
		path := "/v2/deployments/" + url.PathEscape(n) + "/services"
		body, err := f.sm.get(ctx, path)
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			continue // removed between the two requests
		}
		if err != nil {
			return nil, err
		}
		svcs, err := ParseServiceList(body, f.now())
		if err != nil {
			return nil, fmt.Errorf("rest GET %s: %w", f.sm.endpoint(path), err)
		}
		deps = append(deps, fleetDeployment{name: n, services: svcs})
	}
	if deps == nil {
		deps = []fleetDeployment{}
	}
	f.mu.Lock()
	f.deps, f.discoveredAt = deps, f.now()
	f.mu.Unlock()
	return deps, nil
}

func smNotFound(err error) error {
	if nf := (*notFound)(nil); errors.As(err, &nf) {
		return fmt.Errorf("%s: %w (is the URL that of the Service Manager?)", nf.msg, monitor.ErrUnreadable)
	}
	return err
}

// pmServices returns the deployments as last discovered, each with the
// collector of its Performance Metrics Service (nil when it was not
// running at the last check).
func (f *Fleet) pmServices() map[string]*Collector {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]*Collector{}
	for _, d := range f.deps {
		out[d.name] = f.pm[d.name]
	}
	return out
}

// adminService returns dep's Administration Service as last seen running.
func (f *Fleet) adminService(dep string) *Collector {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.admin[dep]
}

// observeDeployment reads one deployment into part.
func (f *Fleet) observeDeployment(ctx context.Context, d fleetDeployment, part *monitor.Observation) error {
	index := map[string]int{} // program → its row in part.Services
	clients := map[string]*Collector{}
	for _, name := range d.services {
		path := "/v2/deployments/" + url.PathEscape(d.name) + "/services/" + url.PathEscape(name)
		body, err := f.sm.get(ctx, path)
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			continue // absent from a listing is unknown, not down; it will be rediscovered
		}
		if err != nil {
			return err
		}
		det, err := ParseServiceDetail(body, f.now())
		if err != nil {
			return fmt.Errorf("rest GET %s: %w", f.sm.endpoint(path), err)
		}
		s := monitor.Service{Deployment: d.name, Name: ServiceProgram(name), Status: det.Status, Port: det.Port}
		part.Services = append(part.Services, s)
		index[s.Name] = len(part.Services) - 1
		if s.Status == monitor.StatusRunning {
			clients[s.Name] = f.serviceCollector(d.name, name, det.Port)
		}
	}
	unknown := func(program string, err error) error {
		if errors.Is(err, monitor.ErrUnreachable) && !errors.Is(err, context.Canceled) {
			part.Services[index[program]].Status = monitor.StatusUnknown
			delete(clients, program)
			return nil
		}
		return err
	}
	var procs []monitor.Process
	if c := clients["ADMINSRVR"]; c != nil {
		rows, err := c.Collect(ctx)
		if err := unknown("ADMINSRVR", err); err != nil {
			return fmt.Errorf("deployment %s: %w", d.name, err)
		}
		for _, p := range rows {
			if p.Program != "ADMINSRVR" {
				p.Deployment = d.name
				procs = append(procs, p)
			}
		}
		if clients["ADMINSRVR"] != nil {
			part.Heartbeats, part.Unread = f.heartbeats(ctx, c, d.name)
		}
	}
	for _, k := range []struct{ program, path, kind string }{
		{"DISTSRVR", "/v2/sources", monitor.PathDistribution},
		{"RECVSRVR", "/v2/targets", monitor.PathReceiver},
	} {
		c := clients[k.program]
		if c == nil {
			continue
		}
		paths, err := f.paths(ctx, c, k.path, k.kind)
		if err := unknown(k.program, err); err != nil {
			return fmt.Errorf("deployment %s: %w", d.name, err)
		}
		for _, p := range paths {
			p.Deployment = d.name
			part.Paths = append(part.Paths, p)
		}
	}
	if c := clients["PMSRVR"]; c != nil {
		txs, unread := f.transactions(ctx, c, procs)
		part.Transactions, part.Unread = txs, append(part.Unread, unread...)
	} else {
		// No PM service: nothing can be said of these Extracts' transactions.
		for _, p := range procs {
			if p.Program == "EXTRACT" && p.Status == monitor.StatusRunning {
				part.Unread = append(part.Unread, monitor.Unread{Source: monitor.SourceTransactions, Program: p.Program, Group: p.Group,
					Error: "the Performance Metrics Service of " + d.name + " is not running"})
			}
		}
	}
	for _, s := range part.Services {
		part.Processes = append(part.Processes, monitor.Process{Program: s.Name, Group: d.name, Status: s.Status, Deployment: d.name})
	}
	part.Processes = append(part.Processes, procs...)
	f.mu.Lock()
	f.pm[d.name], f.admin[d.name] = clients["PMSRVR"], clients["ADMINSRVR"]
	f.mu.Unlock()
	return nil
}

// serviceCollector returns the collector of one service of a deployment.
func (f *Fleet) serviceCollector(dep, service string, port int) *Collector {
	base := *f.sm.base
	if port > 0 {
		base.Host = net.JoinHostPort(f.sm.base.Hostname(), strconv.Itoa(port))
		base.Path = "/services"
	} else {
		base.Path = strings.TrimSuffix(f.sm.base.Path, "/services") + "/" + url.PathEscape(dep) + "/" + url.PathEscape(service) + "/services"
	}
	key := base.String()
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.byBase[key]; ok {
		return c
	}
	c := &Collector{MaxBody: f.sm.MaxBody, Concurrency: f.sm.Concurrency, base: &base, username: f.sm.username,
		password: f.sm.password, timeout: f.sm.timeout, transport: f.sm.transport, client: f.sm.client}
	f.byBase[key] = c
	return c
}

// paths lists a Distribution (/sources) or Receiver (/targets) Service's
// paths and reads each one's detail and, where there is one, its info.
func (f *Fleet) paths(ctx context.Context, c *Collector, list, kind string) ([]monitor.Path, error) {
	body, err := c.get(ctx, list)
	if err != nil {
		return nil, smNotFound(err)
	}
	parse := ParseDistributionPaths
	if kind == monitor.PathReceiver {
		parse = ParseReceiverPaths
	}
	paths, err := parse(body, f.now())
	if err != nil {
		return nil, fmt.Errorf("rest GET %s: %w", c.endpoint(list), err)
	}
	err = c.each(ctx, len(paths), func(ctx context.Context, i int) error {
		p := list + "/" + url.PathEscape(paths[i].Name)
		body, err := c.get(ctx, p)
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			return nil // deleted since it was listed: keep what the list said
		}
		if err != nil {
			return err
		}
		det, err := ParsePathDetail(body, f.now())
		if err != nil {
			return fmt.Errorf("rest GET %s: %w", c.endpoint(p), err)
		}
		det.Name, det.Kind = paths[i].Name, kind
		body, err = c.get(ctx, p+"/info")
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			paths[i] = det // no info (receiver paths, older releases)
			return nil
		}
		if err != nil {
			return err
		}
		info, err := ParsePathInfo(body, f.now())
		if err != nil {
			return fmt.Errorf("rest GET %s: %w", c.endpoint(p+"/info"), err)
		}
		paths[i] = ApplyPathInfo(det, info)
		return nil
	})
	return paths, err
}

// heartbeats reads the heartbeat table of every connection the
// Administration Service knows. A connection without one (404) has none;
// one that cannot be read is unread (its alerts stay as they are):
// heartbeats never fail the check.
func (f *Fleet) heartbeats(ctx context.Context, c *Collector, dep string) ([]monitor.Heartbeat, []monitor.Unread) {
	out := []monitor.Heartbeat{}
	unread := func(err error) []monitor.Unread {
		return []monitor.Unread{{Source: monitor.SourceHeartbeats, Error: fmt.Sprintf("deployment %s: %v", dep, err)}}
	}
	body, err := c.get(ctx, "/v2/connections")
	if nf := (*notFound)(nil); errors.As(err, &nf) {
		return out, nil
	}
	if err != nil {
		return out, unread(err)
	}
	conns, err := depthNames(body, "connections")
	if err != nil {
		return out, unread(err)
	}
	for _, conn := range conns {
		body, err := c.get(ctx, "/v2/connections/"+url.PathEscape(conn)+"/tables/heartbeatData")
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			continue
		}
		if err != nil {
			return out, unread(err)
		}
		hbs, err := ParseHeartbeats(body, f.now())
		if err != nil {
			return out, unread(err)
		}
		for _, h := range hbs {
			h.Deployment = dep
			out = append(out, h)
		}
	}
	return out, nil
}

// transactions reads each running Extract's open transactions from the
// Performance Metrics Service. startTime carries no zone: it is read in
// SyncMon's local zone (run SyncMon in the OGG hosts' zone, or UTC both).
// A 404 (before 23ai, or no metrics for that Extract) is none open; any
// other failure leaves that Extract unread.
func (f *Fleet) transactions(ctx context.Context, c *Collector, procs []monitor.Process) ([]monitor.Transaction, []monitor.Unread) {
	out := []monitor.Transaction{}
	var unread []monitor.Unread
	for _, p := range procs {
		if p.Program != "EXTRACT" || p.Status != monitor.StatusRunning {
			continue
		}
		body, err := c.get(ctx, "/v2/mpoints/"+url.PathEscape(p.Group)+"/currentInflightTransactions")
		if nf := (*notFound)(nil); errors.As(err, &nf) {
			continue
		}
		var txs []monitor.Transaction
		if err == nil {
			txs, err = ParseInflightTransactions(bytes.TrimSpace(body), f.now())
		}
		if err != nil {
			unread = append(unread, monitor.Unread{Source: monitor.SourceTransactions, Program: p.Program, Group: p.Group, Error: err.Error()})
			continue
		}
		for _, t := range txs {
			if t.Process == "" {
				t.Process = p.Group
			}
			out = append(out, t)
		}
	}
	return out, unread
}
