package rest

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncmon/syncmon/monitor"
)

// End-to-end heartbeat lag through REST (ogg-depth.md §1). Two shapes:
//
//   - Administration Service, GET /services/v2/connections/{alias}/tables/heartbeatData
//     (ogg:processHeartbeat): heartbeats[] of source, target, lagSeconds,
//     ageSeconds, path — seconds, possibly fractional.
//   - Performance Metrics Service, GET /services/v2/mpoints/{item}/heartbeat:
//     heartbeats[] of heartbeatName, heartbeatLag, heartbeatAge — integer
//     milliseconds per the 26ai schema, sent as strings in the doc example.
//
// Direction is not in either body. heartbeatData rows are marked
// "incoming" (what arrived at the connection's database, as GG_LAG's
// incoming columns), mpoints rows "outgoing" (measured at a distribution
// path); OrientHeartbeats corrects both when the local database is known.
// Neither choice is verified against a live system.

// ParseHeartbeats reads either heartbeat body. An empty heartbeats list is
// an empty, non-nil slice; a row without lag or age is an error naming it.
func ParseHeartbeats(body []byte, now time.Time) ([]monitor.Heartbeat, error) {
	const what = "heartbeats"
	var resp struct {
		Heartbeats *[]struct {
			Source     any         `json:"source"`
			Target     any         `json:"target"`
			Path       any         `json:"path"`
			LagSeconds depthNumber `json:"lagSeconds"`
			AgeSeconds depthNumber `json:"ageSeconds"`
			Name       any         `json:"heartbeatName"`
			LagMillis  depthNumber `json:"heartbeatLag"`
			AgeMillis  depthNumber `json:"heartbeatAge"`
		} `json:"heartbeats"`
	}
	if _, err := depthResponse(body, what, &resp); err != nil {
		return nil, err
	}
	if resp.Heartbeats == nil {
		return nil, &monitor.ParseError{What: what, Reason: "response has no heartbeats"}
	}
	out := make([]monitor.Heartbeat, 0, len(*resp.Heartbeats))
	for i, h := range *resp.Heartbeats {
		var hb monitor.Heartbeat
		switch {
		case h.LagSeconds.ok && h.AgeSeconds.ok:
			hb = monitor.Heartbeat{
				Direction:  monitor.HeartbeatIncoming,
				From:       cleanSnippet(str(h.Source), 128),
				To:         cleanSnippet(str(h.Target), 128),
				Path:       cleanSnippet(str(h.Path), 512),
				LagSeconds: h.LagSeconds.v,
				AgeSeconds: h.AgeSeconds.v,
			}
		case h.LagMillis.ok && h.AgeMillis.ok:
			hb = monitor.Heartbeat{
				Direction:  monitor.HeartbeatOutgoing,
				Path:       cleanSnippet(str(h.Name), 512),
				LagSeconds: h.LagMillis.v / 1000,
				AgeSeconds: h.AgeMillis.v / 1000,
			}
		default:
			return nil, &monitor.ParseError{What: what, Reason: fmt.Sprintf("heartbeat %d has no lag and age", i)}
		}
		out = append(out, hb)
	}
	return out, nil
}

// OrientHeartbeats sets each heartbeat's direction from the local
// database's name: arriving at it is incoming, leaving it outgoing. Rows
// that name neither end keep their direction. Names compare case-blind.
func OrientHeartbeats(hbs []monitor.Heartbeat, localDB string) {
	if strings.TrimSpace(localDB) == "" {
		return
	}
	for i := range hbs {
		switch {
		case strings.EqualFold(hbs[i].To, localDB):
			hbs[i].Direction = monitor.HeartbeatIncoming
		case strings.EqualFold(hbs[i].From, localDB):
			hbs[i].Direction = monitor.HeartbeatOutgoing
		}
	}
}
