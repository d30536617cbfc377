package handlers

import (
	"encoding/json"
	"strconv"
)

// Ephemeral messages carry no seq, only the head of the log.

func pingMessage(head int64) []byte {
	return []byte(`{"type":"ping","head":` + strconv.FormatInt(head, 10) + `}`)
}

// resetMessage tells the client to reload its snapshot; epoch names the log
// its head belongs to (omitted when unknown).
func resetMessage(head int64, epoch string) []byte {
	if epoch == "" {
		return []byte(`{"type":"reset","head":` + strconv.FormatInt(head, 10) + `}`)
	}
	b, _ := json.Marshal(struct {
		Type  string `json:"type"`
		Head  int64  `json:"head"`
		Epoch string `json:"epoch"`
	}{"reset", head, epoch})
	return b
}

type hello struct {
	Type      string `json:"type"`
	Head      int64  `json:"head"`
	Transport string `json:"transport"`
	Version   string `json:"version"`
	Epoch     string `json:"epoch"` // names the log the seqs belong to
	Speech    int    `json:"speech_repeat_seconds"`
	// Ping is the heartbeat cadence, so that a page's watchdog matches the
	// server's configured interval instead of assuming 10 s.
	Ping float64 `json:"ping_seconds"`
}

func (s *Server) helloMessage(head int64, transport string) []byte {
	b, _ := json.Marshal(hello{Type: "hello", Head: head, Transport: transport, Version: s.opt.Version,
		Epoch:  s.store.Epoch(),
		Speech: int(s.opt.SpeechRepeat.Seconds()), Ping: s.opt.PingInterval.Seconds()})
	return b
}
