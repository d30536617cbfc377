package rest

import (
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// Distribution and receiver paths (ogg-depth.md §2):
//
//	distsrvr GET /services/v2/sources          → ParseDistributionPaths
//	recvsrvr GET /services/v2/targets          → ParseReceiverPaths
//	GET /services/v2/sources/{path}            → ParsePathDetail (receiver: /targets/{path})
//	GET /services/v2/sources/{path}/info       → ParsePathInfo
//
// A collector lists the paths, reads each one's detail and info, and joins
// them with ApplyPathInfo. Deployment is left for the caller.

// ParseDistributionPaths reads the Distribution Service's path collection.
// Each path has Kind "distribution"; Status is set only when the listing
// carries one (not verified that it does), else "".
func ParseDistributionPaths(body []byte, now time.Time) ([]monitor.Path, error) {
	return depthPaths(body, "distribution paths", monitor.PathDistribution)
}

// ParseReceiverPaths reads the Receiver Service's path collection, like
// ParseDistributionPaths, with Kind "receiver".
func ParseReceiverPaths(body []byte, now time.Time) ([]monitor.Path, error) {
	return depthPaths(body, "receiver paths", monitor.PathReceiver)
}

func depthPaths(body []byte, what, kind string) ([]monitor.Path, error) {
	items, err := depthItems(body, what)
	if err != nil {
		return nil, err
	}
	out := make([]monitor.Path, 0, len(items))
	for _, it := range items {
		p := monitor.Path{Name: it.name, Kind: kind}
		if strings.TrimSpace(it.status) != "" {
			p.Status = depthStatus(it.status)
		}
		out = append(out, p)
	}
	return out, nil
}

// ParsePathDetail reads one path (ogg:distPath): its name, status, source
// trail URI (into Source) and target URI. Kind is left for the caller.
func ParsePathDetail(body []byte, now time.Time) (monitor.Path, error) {
	const what = "path detail"
	var p struct {
		Name   any `json:"name"`
		Status any `json:"status"`
		Source any `json:"source"`
		Target any `json:"target"`
	}
	if _, err := depthResponse(body, what, &p); err != nil {
		return monitor.Path{}, err
	}
	s := str(p.Status)
	if strings.TrimSpace(s) == "" {
		return monitor.Path{}, &monitor.ParseError{What: what, Reason: "response has no status"}
	}
	return monitor.Path{
		Name:   cleanSnippet(str(p.Name), 256),
		Status: depthStatus(s),
		Source: depthURI(p.Source),
		Target: depthURI(p.Target),
	}, nil
}

// depthURI reads {"uri": "…"} (or a bare string) as a path end.
func depthURI(v any) string {
	switch e := v.(type) {
	case string:
		return cleanSnippet(e, 512)
	case map[string]any:
		return cleanSnippet(str(e["uri"]), 512)
	}
	return ""
}

// PathInfo is what GET …/sources/{path}/info (ogg:distPathInfo) says.
type PathInfo struct {
	// LagSeconds is lag: trail write → path processed; nil when absent.
	LagSeconds *int64 `json:"lag_seconds"`
	// SinceLagReportedSeconds is sinceLagReported; nil when absent.
	SinceLagReportedSeconds *int64 `json:"since_lag_reported_seconds"`
	// LastStarted is nil when the path never started (lastStarted: null).
	LastStarted   *time.Time `json:"last_started"`
	SourceExtract string     `json:"source_extract"` // sourceExtractName, upper-case
	ProcessID     *int64     `json:"process_id"`
}

// ParsePathInfo reads a path's info. A lastStarted of null is a path that
// never ran ("created with status stopped").
func ParsePathInfo(body []byte, now time.Time) (PathInfo, error) {
	const what = "path info"
	var in struct {
		Lag              depthNumber `json:"lag"`
		SinceLagReported depthNumber `json:"sinceLagReported"`
		LastStarted      any         `json:"lastStarted"`
		SourceExtract    any         `json:"sourceExtractName"`
		ProcessID        depthNumber `json:"processId"`
	}
	if _, err := depthResponse(body, what, &in); err != nil {
		return PathInfo{}, err
	}
	out := PathInfo{
		LagSeconds:              in.Lag.ptr(),
		SinceLagReportedSeconds: in.SinceLagReported.ptr(),
		SourceExtract:           strings.ToUpper(cleanSnippet(str(in.SourceExtract), 64)),
		ProcessID:               in.ProcessID.ptr(),
	}
	if t, ok := depthTime(str(in.LastStarted), time.UTC); ok {
		out.LastStarted = &t
	}
	return out, nil
}

// ApplyPathInfo joins a path's info to the path: lag, time since lag was
// reported, and the feeding Extract as Source when the info names one.
func ApplyPathInfo(p monitor.Path, info PathInfo) monitor.Path {
	p.LagSeconds = info.LagSeconds
	p.CheckpointAgeSeconds = info.SinceLagReportedSeconds
	if info.SourceExtract != "" {
		p.Source = info.SourceExtract
	}
	return p
}
