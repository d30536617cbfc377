package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syncmon/syncmon/config"
	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// payload is the request body for e on this channel's kind.
func (c *channel) payload(e store.Event, key string) ([]byte, error) {
	link := ""
	if c.o.PublicURL != "" && e.Alert != nil {
		link = fmt.Sprintf("%s/alerts/%d", c.o.PublicURL, e.Alert.ID)
	}
	switch c.cfg.Kind {
	case config.NotifySlack:
		return json.Marshal(map[string]string{"text": slackText(e, link)})
	case config.NotifyTeams:
		return json.Marshal(teamsMessage(e, link))
	default:
		return webhookBody(e, key, c.cfg.Name, link)
	}
}

// webhookBody is the event as every transport sends it, plus the
// idempotency key, the channel and (when public_url is set) a link.
func webhookBody(e store.Event, key, channel, link string) ([]byte, error) {
	wire := e.JSON()
	extra, err := json.Marshal(struct {
		Key     string `json:"idempotency_key"`
		Channel string `json:"channel"`
		Link    string `json:"link,omitempty"`
	}{key, channel, link})
	if err != nil {
		return nil, fmt.Errorf("encode webhook body: %w", err)
	}
	wire = bytes.TrimSpace(wire)
	if len(wire) < 2 || wire[0] != '{' || wire[len(wire)-1] != '}' {
		return nil, fmt.Errorf("encode webhook body: event %d is not a JSON object", e.Seq)
	}
	out := make([]byte, 0, len(wire)+len(extra))
	out = append(out, wire[:len(wire)-1]...)
	if len(wire) > 2 {
		out = append(out, ',')
	}
	return append(out, extra[1:]...), nil
}

// what the event means, in English and Korean.
func verbs(typ string) (en, ko string) {
	switch typ {
	case monitor.AlertOpened:
		return "opened", "발생"
	case monitor.AlertUpdated:
		return "changed", "변경"
	case monitor.AlertResolved:
		return "resolved", "해소"
	case monitor.AlertAcked:
		return "acknowledged", "확인됨"
	case monitor.AlertUnacked:
		return "acknowledgement withdrawn", "확인 취소"
	}
	return typ, typ
}

func severityKo(s string) string {
	switch s {
	case monitor.SeverityCritical:
		return "심각"
	case monitor.SeverityWarning:
		return "경고"
	}
	return s
}

// subject names the alert's place: target, program, group.
func subject(a monitor.Alert) string {
	parts := []string{a.Target}
	for _, p := range []string{a.Program, a.Group} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// headline is the first line of every chat message, in both languages:
// "[CRITICAL] opened · [심각] 발생 — prod-east REPLICAT REP1".
func headline(e store.Event) string {
	a := e.Alert
	en, ko := verbs(e.Type)
	h := fmt.Sprintf("[%s] %s · [%s] %s — %s", strings.ToUpper(a.Severity), en, severityKo(a.Severity), ko, subject(*a))
	if a.Test {
		h = "[TEST · 시험] " + h
	}
	return h
}

// ackLine says who acknowledged and why, for ack events.
func ackLine(a monitor.Alert) string {
	if a.AckedBy == nil {
		return ""
	}
	s := "Acknowledged by " + *a.AckedBy
	if a.Comment != nil && *a.Comment != "" {
		s += ": " + *a.Comment
	}
	return s
}

// slackEscape escapes what Slack's mrkdwn treats as markup.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// slackText is the whole message for a Slack incoming webhook: the
// headline, the alert's message, its speech in Korean and English, and a
// link back.
func slackText(e store.Event, link string) string {
	a := e.Alert
	icon := ":red_circle:"
	switch {
	case e.Type == monitor.AlertResolved:
		icon = ":white_check_mark:"
	case e.Type == monitor.AlertAcked:
		icon = ":ballot_box_with_check:"
	case a.Severity == monitor.SeverityWarning:
		icon = ":large_orange_circle:"
	}
	lines := []string{icon + " *" + slackEscape.Replace(headline(e)) + "*", slackEscape.Replace(a.Message)}
	for _, s := range []string{a.Speech.Ko, a.Speech.En} {
		if s != "" && s != a.Message {
			lines = append(lines, "> "+slackEscape.Replace(s))
		}
	}
	if s := ackLine(*a); s != "" && (e.Type == monitor.AlertAcked || e.Type == monitor.AlertUnacked) {
		lines = append(lines, slackEscape.Replace(s))
	}
	if link != "" {
		lines = append(lines, fmt.Sprintf("<%s|SyncMon alert #%d>", link, a.ID))
	}
	return strings.Join(lines, "\n")
}

// teamsMessage is an Adaptive Card in the message envelope that both Teams
// incoming webhooks and Power Automate "Workflows" webhooks accept.
func teamsMessage(e store.Event, link string) map[string]any {
	a := e.Alert
	color := "Attention"
	switch {
	case e.Type == monitor.AlertResolved:
		color = "Good"
	case a.Severity == monitor.SeverityWarning:
		color = "Warning"
	}
	text := func(s string, more map[string]any) map[string]any {
		b := map[string]any{"type": "TextBlock", "text": s, "wrap": true}
		for k, v := range more {
			b[k] = v
		}
		return b
	}
	body := []any{
		text(headline(e), map[string]any{"weight": "Bolder", "size": "Medium", "color": color}),
		text(a.Message, nil),
	}
	for _, s := range []string{a.Speech.Ko, a.Speech.En} {
		if s != "" && s != a.Message {
			body = append(body, text(s, map[string]any{"isSubtle": true}))
		}
	}
	facts := []map[string]string{
		{"title": "Target", "value": a.Target},
		{"title": "Rule", "value": a.Rule},
		{"title": "Severity", "value": a.Severity},
		{"title": "State", "value": a.State},
		{"title": "Alert", "value": fmt.Sprintf("#%d (event %d)", a.ID, e.Seq)},
	}
	if a.Program != "" {
		facts = append(facts[:1], append([]map[string]string{{"title": "Process", "value": strings.TrimSpace(a.Program + " " + a.Group)}}, facts[1:]...)...)
	}
	body = append(body, map[string]any{"type": "FactSet", "facts": facts})
	if s := ackLine(*a); s != "" && (e.Type == monitor.AlertAcked || e.Type == monitor.AlertUnacked) {
		body = append(body, text(s, nil))
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"body":    body,
		"msteams": map[string]any{"width": "Full"},
	}
	if link != "" {
		card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open in SyncMon", "url": link}}
	}
	return map[string]any{
		"type": "message",
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	}
}
