package monitor

import (
	"fmt"
	"strings"
)

// Rules of a Service Manager target (one target, several Microservices
// deployments): the deployments' services and their distribution and
// receiver paths.
const (
	RuleServiceStatus = "service_status"
	RulePathStatus    = "path_status"
	RulePathLag       = "path_lag"
)

// Path programs: findings about a path carry one of these as their program
// and the path's name as their group, as Admin Client's INFO DISTPATH and
// INFO RECVPATH name them.
const (
	ProgramDistPath = "DISTPATH"
	ProgramRecvPath = "RECVPATH"
)

// maService reports whether a process row is a deployment's service as
// Service Manager discovery reports it: its group is the deployment's name.
func maService(p Process) bool {
	if p.Deployment == "" {
		return false
	}
	switch p.Program {
	case "ADMINSRVR", "DISTSRVR", "RECVSRVR", "PMSRVR":
		return true
	}
	return false
}

// maFindings applies service_status, path_status and path_lag to one
// observation and returns, besides the findings, the groups (and paths)
// whose alerts are held because a core service of their deployment is not
// running: nothing true can be said of them then, as with MANAGER down.
func maFindings(t Target, obs Observation, mem *Memory) ([]Finding, map[string]bool) {
	var out []Finding
	down := map[string]bool{} // deployments with a core service not running
	for _, s := range obs.Services {
		if s.Status == StatusRunning {
			continue
		}
		sev := SeverityCritical
		if s.Name == "PMSRVR" {
			sev = SeverityWarning // monitoring only: replication goes on without it
		} else {
			down[s.Deployment] = true
		}
		f := Finding{Rule: RuleServiceStatus, Program: s.Name, Group: s.Deployment, Severity: sev}
		f.Message, f.Speech = serviceText(t.Name, s)
		out = append(out, f)
	}

	// Remember which deployment each group and path belongs to, so that
	// groups a down service hides from the listing stay held.
	of := map[string]string{}
	for g, d := range mem.DeploymentOf {
		if down[d] {
			of[g] = d
		}
	}
	for _, p := range obs.Processes {
		if p.Deployment != "" && p.Group != "" && !maService(p) {
			of[p.Group] = p.Deployment
		}
	}
	for _, p := range obs.Paths {
		if p.Deployment != "" {
			of[p.Name] = p.Deployment
		}
	}
	for _, h := range obs.Heartbeats {
		if h.Deployment != "" {
			of[heartbeatGroup(h)] = h.Deployment
		}
	}
	mem.DeploymentOf = of
	held := map[string]bool{}
	for g, d := range of {
		if down[d] {
			held[g] = true
		}
	}

	stopped := map[string]bool{}
	for _, n := range t.Policy.StoppedPaths {
		stopped[strings.ToUpper(n)] = true
	}
	for _, p := range obs.Paths {
		program := ProgramDistPath
		if p.Kind == PathReceiver {
			program = ProgramRecvPath
		}
		add := func(rule, sev string, msg string, sp Speech) {
			out = append(out, Finding{Rule: rule, Program: program, Group: p.Name, Severity: sev, Message: msg, Speech: sp})
		}
		switch p.Status {
		case StatusAbended, StatusKilled:
			msg, sp := pathStatusText(t.Name, p)
			add(RulePathStatus, SeverityCritical, msg, sp)
		case StatusStopped:
			if !stopped[strings.ToUpper(p.Name)] {
				msg, sp := pathStatusText(t.Name, p)
				add(RulePathStatus, SeverityCritical, msg, sp)
			}
		case StatusRunning:
			th := t.ThresholdsFor(strings.ToUpper(p.Name))
			if p.LagSeconds != nil {
				if sev := overThreshold(*p.LagSeconds, th.PathLagWarning, th.PathLagCritical); sev != SeverityOK {
					msg, sp := pathLagText(t.Name, p, sev)
					add(RulePathLag, sev, msg, sp)
				}
			}
		}
	}
	return out, held
}

func pathKind(p Path) (en, ko string) {
	if p.Kind == PathReceiver {
		return "receiver path", "수신 경로"
	}
	return "distribution path", "배포 경로"
}

func serviceText(target string, s Service) (string, Speech) {
	p := Process{Program: s.Name}
	return fmt.Sprintf("deployment %s: %s is %s", s.Deployment, s.Name, s.Status), Speech{
		Ko: fmt.Sprintf("%s %s %s 이 실행 중이 아닙니다", target, s.Deployment, processKo(p)),
		En: fmt.Sprintf("%s %s %s is down", target, s.Deployment, processEn(p)),
	}
}

func pathStatusText(target string, p Path) (string, Speech) {
	en, ko := pathKind(p)
	msg := fmt.Sprintf("%s %s (deployment %s) is %s", en, p.Name, p.Deployment, p.Status)
	switch p.Status {
	case StatusAbended:
		return msg, Speech{Ko: fmt.Sprintf("%s %s %s 이 중단되었습니다", target, ko, p.Name), En: fmt.Sprintf("%s %s %s abended", target, en, p.Name)}
	case StatusKilled:
		return msg, Speech{Ko: fmt.Sprintf("%s %s %s 이 강제 종료되었습니다", target, ko, p.Name), En: fmt.Sprintf("%s %s %s was killed", target, en, p.Name)}
	}
	return msg, Speech{Ko: fmt.Sprintf("%s %s %s 이 정지되었습니다", target, ko, p.Name), En: fmt.Sprintf("%s %s %s stopped", target, en, p.Name)}
}

func pathLagText(target string, p Path, sev string) (string, Speech) {
	en, ko := pathKind(p)
	lag := *p.LagSeconds
	return fmt.Sprintf("%s %s lag %s (%s)", en, p.Name, FormatSeconds(lag), sev), Speech{
		Ko: fmt.Sprintf("%s %s %s 지연 %s", target, ko, p.Name, secondsKo(lag)),
		En: fmt.Sprintf("%s %s %s lag %s", target, en, p.Name, secondsEn(lag)),
	}
}
