package handlers

import (
	"encoding/json"
	"strconv"
)

// Ephemeral messages carry no seq, only the head of the log.

func pingMessage(head int64) []byte {
	return []byte(`{"type":"ping","head":` + strconv.FormatInt(head, 10) + `}`)
}

func resetMessage(head int64) []byte {
	return []byte(`{"type":"reset","head":` + strconv.FormatInt(head, 10) + `}`)
}

type hello struct {
	Type      string `json:"type"`
	Head      int64  `json:"head"`
	Transport string `json:"transport"`
	Version   string `json:"version"`
	Speech    int    `json:"speech_repeat_seconds"`
	// Ping is the heartbeat cadence, so that a page's watchdog matches the
	// server's configured interval instead of assuming 10 s.
	Ping float64 `json:"ping_seconds"`
}

func (s *Server) helloMessage(head int64, transport string) []byte {
	b, _ := json.Marshal(hello{Type: "hello", Head: head, Transport: transport, Version: s.opt.Version,
		Speech: int(s.opt.SpeechRepeat.Seconds()), Ping: s.opt.PingInterval.Seconds()})
	return b
}
