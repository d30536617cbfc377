package monitor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// fleet is one Service Manager observation: services, processes and paths
// of deployments east and west.
type fleet struct {
	services   []monitor.Service
	procs      []monitor.Process
	paths      []monitor.Path
	heartbeats []monitor.Heartbeat
}

func (h *harness) observeFleet(f fleet) []string {
	h.now = h.now.Add(10 * time.Second)
	var trs []monitor.Transition
	procs := f.procs
	for _, s := range f.services {
		procs = append(procs, monitor.Process{Program: s.Name, Group: s.Deployment, Status: s.Status, Deployment: s.Deployment})
	}
	obs := monitor.Observation{Target: "east", Processes: procs, Services: f.services, Paths: f.paths, Heartbeats: f.heartbeats}
	h.mem, trs = monitor.Step(h.target, h.mem, obs, h.list(), h.silences, h.now)
	return h.apply(trs)
}

func services(dep string, admin, dist, recv, pm string) []monitor.Service {
	return []monitor.Service{
		{Deployment: dep, Name: "ADMINSRVR", Status: admin}, {Deployment: dep, Name: "DISTSRVR", Status: dist},
		{Deployment: dep, Name: "RECVSRVR", Status: recv}, {Deployment: dep, Name: "PMSRVR", Status: pm},
	}
}

func path(dep, name, status string, lag int64) monitor.Path {
	return monitor.Path{Deployment: dep, Name: name, Kind: monitor.PathDistribution, Status: status, LagSeconds: secs(lag)}
}

func depExt(dep, group, status string) monitor.Process {
	p := ext(group, status, 1, 1)
	p.Deployment = dep
	return p
}

func TestServiceStatusHoldsItsDeploymentOnly(t *testing.T) {
	h := newHarness(t)
	up := func(dep string) []monitor.Service { return services(dep, run, run, run, run) }
	both := func(east, west []monitor.Service, procs ...monitor.Process) fleet {
		return fleet{services: append(east, west...), procs: procs}
	}
	h.expect("healthy", h.observeFleet(both(up("east"), up("west"), depExt("east", "E1", run), depExt("west", "W1", run))))
	h.expect("E1 abends", h.observeFleet(both(up("east"), up("west"), depExt("east", "E1", monitor.StatusAbended), depExt("west", "W1", run))),
		"opened process_status EXTRACT/E1 critical")
	// east's Administration Service goes down: its groups vanish from the
	// listing, yet E1's alert stays and no "disappeared" alert opens.
	downEast := services("east", monitor.StatusStopped, run, run, run)
	h.expect("east admin down", h.observeFleet(both(downEast, up("west"), depExt("west", "W1", run))),
		"opened service_status ADMINSRVR/east critical")
	h.expect("west still judged", h.observeFleet(both(downEast, up("west"), depExt("west", "W1", monitor.StatusAbended))),
		"opened process_status EXTRACT/W1 critical")
	h.expect("held while down", h.observeFleet(both(downEast, up("west"), depExt("west", "W1", monitor.StatusAbended))))
	h.expect("east back, E1 running: 1 clear", h.observeFleet(both(up("east"), up("west"), depExt("east", "E1", run), depExt("west", "W1", monitor.StatusAbended))))
	h.expect("2 clears resolve", h.observeFleet(both(up("east"), up("west"), depExt("east", "E1", run), depExt("west", "W1", monitor.StatusAbended))),
		"resolved process_status EXTRACT/E1 critical", "resolved service_status ADMINSRVR/east critical")
	h.expect("pmsrvr down is a warning", h.observeFleet(both(services("east", run, run, run, monitor.StatusStopped), up("west"), depExt("east", "E1", run), depExt("west", "W1", monitor.StatusAbended))),
		"opened service_status PMSRVR/east warning")
	h.expect("escalates when the admin service stops too", h.observeFleet(both(services("east", monitor.StatusStopped, run, run, monitor.StatusStopped), up("west"), depExt("west", "W1", monitor.StatusAbended))),
		"opened service_status ADMINSRVR/east critical")
}

func TestPathStatus(t *testing.T) {
	h := newHarness(t)
	h.target.Policy.StoppedPaths = []string{"DPARCHIVE"}
	svc := services("east", run, run, run, run)
	obs := func(paths ...monitor.Path) fleet { return fleet{services: svc, paths: paths} }
	h.expect("running", h.observeFleet(obs(path("east", "dp1", run, 1), path("east", "dparchive", monitor.StatusStopped, 0))))
	h.expect("stopped path is critical at once", h.observeFleet(obs(path("east", "dp1", monitor.StatusStopped, 0), path("east", "dparchive", monitor.StatusStopped, 0))),
		"opened path_status DISTPATH/dp1 critical")
	h.ack(monitor.RulePathStatus)
	h.expect("abended: same severity, no news", h.observeFleet(obs(path("east", "dp1", monitor.StatusAbended, 0))))
	h.expect("clear 1", h.observeFleet(obs(path("east", "dp1", run, 1))))
	h.expect("clear 2 resolves", h.observeFleet(obs(path("east", "dp1", run, 1))), "resolved path_status DISTPATH/dp1 critical")

	// A path of a deployment whose Distribution Service is down is held.
	h.expect("killed", h.observeFleet(obs(path("east", "dp1", monitor.StatusKilled, 0))), "opened path_status DISTPATH/dp1 critical")
	distDown := services("east", run, monitor.StatusStopped, run, run)
	h.expect("dist down holds the path", h.observeFleet(fleet{services: distDown}), "opened service_status DISTSRVR/east critical")
	h.expect("still held", h.observeFleet(fleet{services: distDown}))
}

func TestPathLag(t *testing.T) {
	h := newHarness(t)
	svc := services("east", run, run, run, run)
	obs := func(lag int64) fleet {
		return fleet{services: svc, paths: []monitor.Path{path("east", "dp1", run, lag)}}
	}
	h.expect("small lag", h.observeFleet(obs(5)))
	h.expect("first breach", h.observeFleet(obs(90)))
	h.expect("second opens", h.observeFleet(obs(95)), "opened path_lag DISTPATH/dp1 warning")
	h.expect("escalates", h.observeFleet(obs(400)), "updated path_lag DISTPATH/dp1 critical")
	h.expect("clear 1", h.observeFleet(obs(5)))
	h.expect("clear 2 resolves", h.observeFleet(obs(5)), "resolved path_lag DISTPATH/dp1 critical")

	h.target.Groups = map[string]monitor.Thresholds{"DP1": {PathLagWarning: time.Hour, PathLagCritical: 2 * time.Hour}}
	h.expect("per-path thresholds", h.observeFleet(obs(400)))
	h.expect("per-path thresholds 2", h.observeFleet(obs(400)))
}

func TestMAFindingsText(t *testing.T) {
	obs := monitor.Observation{Target: "fleet", Services: services("east", run, monitor.StatusStopped, run, run),
		Paths: []monitor.Path{{Deployment: "east", Name: "dp1", Kind: monitor.PathReceiver, Status: monitor.StatusAbended}}}
	target := monitor.Target{Name: "fleet", Thresholds: monitor.DefaultThresholds(), Policy: monitor.DefaultPolicy()}
	fs := monitor.Findings(target, obs, time.Now())
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2: %+v", len(fs), fs)
	}
	for _, f := range fs {
		if f.Speech.Ko == "" || f.Speech.En == "" || !strings.Contains(f.Message, "east") && !strings.Contains(f.Message, "dp1") {
			t.Errorf("finding %+v lacks text", f)
		}
	}
	if fs[1].Program != monitor.ProgramRecvPath || fs[1].Rule != monitor.RulePathStatus {
		t.Errorf("got %s/%s, want RECVPATH path_status", fs[1].Program, fs[1].Rule)
	}
}

func TestDeploymentComesAndGoes(t *testing.T) {
	h := newHarness(t)
	east := fleet{services: services("east", run, run, run, run), procs: []monitor.Process{depExt("east", "E1", run)}}
	both := fleet{services: append(services("east", run, run, run, run), services("west", run, run, run, run)...),
		procs: []monitor.Process{depExt("east", "E1", run), depExt("west", "W1", run)}}
	h.expect("east alone", h.observeFleet(east))
	h.expect("west appears: its group is new, its services are not groups", h.observeFleet(both), "opened group_appeared EXTRACT/W1 warning")
	h.expect("west goes away: its group is missed, its services are not", h.observeFleet(east),
		"opened group_disappeared EXTRACT/W1 warning")
	h.expect("the new-group alert clears", h.observeFleet(east), "resolved group_appeared EXTRACT/W1 warning")
}

// A heartbeat of a deployment whose Administration Service is down (so
// its heartbeat table cannot be read) keeps its alert.
func TestHeartbeatHeldWithItsDeployment(t *testing.T) {
	h := newHarness(t)
	h.target.Thresholds.DepthThresholds = monitor.DefaultDepthThresholds()
	stale := []monitor.Heartbeat{{Deployment: "east", Direction: monitor.HeartbeatIncoming, From: "EAST", To: "WEST", Path: "E1 ==> R1", LagSeconds: 2, AgeSeconds: 900}}
	up := services("east", run, run, run, run)
	h.expect("stale", h.observeFleet(fleet{services: up, heartbeats: stale}), "opened heartbeat_stale HEARTBEAT/EAST:EAST>WEST E1 ==> R1 critical")
	down := services("east", monitor.StatusStopped, run, run, run)
	h.expect("admin down: held", h.observeFleet(fleet{services: down}), "opened service_status ADMINSRVR/east critical")
	h.expect("still held", h.observeFleet(fleet{services: down}))
}
