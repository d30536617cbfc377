package rest

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Discovery through the Service Manager (ogg-depth.md §3):
//
//	GET /services/v2/deployments                      → ParseDeploymentList
//	GET /services/v2/deployments/{dep}/services       → ParseServiceList
//	GET /services/v2/deployments/{dep}/services/{svc} → ParseServiceDetail
//
// now is unused by these three; it is there so that every issue-14 parser
// has the same signature.

// ServiceManagerDeployment is the name under which the Service Manager
// lists itself among the deployments.
const ServiceManagerDeployment = "ServiceManager"

// ParseDeploymentList reads the Service Manager's deployment collection and
// returns the deployment names in order, ServiceManager included (see
// ServiceManagerDeployment). An empty collection is an empty, non-nil
// slice; a body without a collection is an error, never "no deployments".
func ParseDeploymentList(body []byte, now time.Time) ([]string, error) {
	return depthNames(body, "deployment list")
}

// ParseServiceList reads a deployment's service collection and returns the
// service names as OGG spells them ("adminsrvr", "distsrvr" …), in order.
// Use ServiceProgram for the program name.
func ParseServiceList(body []byte, now time.Time) ([]string, error) {
	return depthNames(body, "service list")
}

// ServiceDetail is what the Service Manager says about one service.
type ServiceDetail struct {
	Status  string `json:"status"`  // one of the monitor.Status constants
	Port    int    `json:"port"`    // config.network.serviceListeningPort; 0 when absent
	Enabled *bool  `json:"enabled"` // nil when absent
}

// ParseServiceDetail reads one service of a deployment: its status, and the
// port it listens on (config.network.serviceListeningPort), from which the
// collector builds that service's URL.
func ParseServiceDetail(body []byte, now time.Time) (ServiceDetail, error) {
	const what = "service detail"
	var svc struct {
		Status  any   `json:"status"`
		Enabled *bool `json:"enabled"`
		Config  any   `json:"config"`
	}
	if _, err := depthResponse(body, what, &svc); err != nil {
		return ServiceDetail{}, err
	}
	s, ok := svc.Status.(string)
	if !ok || strings.TrimSpace(s) == "" {
		return ServiceDetail{}, &monitor.ParseError{What: what, Reason: "response has no status"}
	}
	out := ServiceDetail{Status: depthStatus(s), Enabled: svc.Enabled}
	// config.network.serviceListeningPort, read defensively: config is an
	// object of free shape.
	if cfg, ok := svc.Config.(map[string]any); ok {
		if nw, ok := cfg["network"].(map[string]any); ok {
			switch p := nw["serviceListeningPort"].(type) {
			case float64:
				if p > 0 && p < 65536 && p == float64(int(p)) {
					out.Port = int(p)
				}
			case map[string]any: // {"port": 9012} in some releases (unverified)
				if pp, ok := p["port"].(float64); ok && pp > 0 && pp < 65536 && pp == float64(int(pp)) {
					out.Port = int(pp)
				}
			}
		}
	}
	return out, nil
}

// ServiceProgram maps a service name to the program SyncMon shows:
// adminsrvr → ADMINSRVR, distsrvr → DISTSRVR, recvsrvr → RECVSRVR, pmsrvr →
// PMSRVR (and the long forms "AdminServer" …). Other names are upper-cased.
func ServiceProgram(name string) string {
	u := strings.ToUpper(strings.TrimSpace(name))
	switch u {
	case "ADMINSERVER", "ADMINSRVR", "ADMINISTRATIONSERVER":
		return "ADMINSRVR"
	case "DISTSERVER", "DISTSRVR", "DISTRIBUTIONSERVER":
		return "DISTSRVR"
	case "RECVSERVER", "RECVSRVR", "RECEIVERSERVER":
		return "RECVSRVR"
	case "PMSERVER", "PMSRVR":
		return "PMSRVR"
	}
	return u
}

// depthNames reads a collection's item names. Items of a collection are
// objects with a string name; anything else is an error naming the item.
func depthNames(body []byte, what string) ([]string, error) {
	items, err := depthItems(body, what)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(items))
	for _, it := range items {
		names = append(names, it.name)
	}
	return names, nil
}

// depthItem is one collection item: its name and, where the item carries
// one, its status.
type depthItem struct {
	name   string
	status string
}

func depthItems(body []byte, what string) ([]depthItem, error) {
	var coll struct {
		Items *[]any `json:"items"`
	}
	if _, err := depthResponse(body, what, &coll); err != nil {
		return nil, err
	}
	if coll.Items == nil {
		return nil, &monitor.ParseError{What: what, Reason: "response is not a collection (no items)"}
	}
	out := make([]depthItem, 0, len(*coll.Items))
	for i, raw := range *coll.Items {
		it, ok := raw.(map[string]any)
		name := ""
		if ok {
			name, _ = it["name"].(string)
		}
		name = strings.TrimSpace(name)
		if name == "" || len(name) > 256 || strings.ContainsAny(name, "/\x00\n") {
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("item %d has no usable name", i)}
		}
		d := depthItem{name: strings.ToValidUTF8(name, "\uFFFD")}
		if ok {
			d.status, _ = it["status"].(string)
		}
		out = append(out, d)
	}
	return out, nil
}
