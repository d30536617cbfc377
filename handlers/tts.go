package handlers

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Server-side speech for screens whose browser has no voice for the page's
// language: espeak-ng speaks the alert's own text (never text from the
// request), read on stdin (never argv), bounded in length, time and
// concurrency, cached.
const (
	ttsMaxRunes    = 300
	ttsTimeout     = 10 * time.Second
	ttsConcurrency = 2
	ttsCacheSize   = 64
)

type ttsEngine struct {
	path  string // espeak-ng; empty when not installed
	slots chan struct{}

	mu       sync.Mutex
	cache    map[string][]byte
	order    []string
	inflight map[string]*ttsCall // renderings under way, shared by whoever asks meanwhile
	lastLang string              // the language screens asked for last (warm-up order)
}

func newTTS() *ttsEngine {
	path, _ := exec.LookPath("espeak-ng")
	return &ttsEngine{path: path, slots: make(chan struct{}, ttsConcurrency), cache: map[string][]byte{}, inflight: map[string]*ttsCall{}}
}

var errNoTTS = errors.New("espeak-ng is not installed")

// speak returns a WAV of text in lang ("ko" or "en").
func (t *ttsEngine) speak(ctx context.Context, lang, text string) ([]byte, error) {
	if t.path == "" {
		return nil, errNoTTS
	}
	if utf8.RuneCountInString(text) > ttsMaxRunes {
		text = string([]rune(text)[:ttsMaxRunes])
	}
	key := lang + "\x00" + text
	t.mu.Lock()
	if wav, ok := t.cache[key]; ok {
		t.mu.Unlock()
		return wav, nil
	}
	if call, ok := t.inflight[key]; ok {
		t.mu.Unlock()
		return call.wait(ctx)
	}
	call := &ttsCall{done: make(chan struct{})}
	t.inflight[key] = call
	t.mu.Unlock()
	call.wav, call.err = t.render(ctx, lang, text, key)
	t.mu.Lock()
	delete(t.inflight, key)
	t.mu.Unlock()
	close(call.done)
	return call.wav, call.err
}

// ttsCall is one espeak-ng rendering that several requests may wait for.
type ttsCall struct {
	done chan struct{}
	wav  []byte
	err  error
}

func (c *ttsCall) wait(ctx context.Context) ([]byte, error) {
	select {
	case <-c.done:
		return c.wav, c.err
	case <-ctx.Done():
		return nil, fmt.Errorf("tts: wait for the rendering under way: %w", ctx.Err())
	}
}

// render runs espeak-ng for text and caches the result under key.
func (t *ttsEngine) render(ctx context.Context, lang, text, key string) ([]byte, error) {
	select {
	case t.slots <- struct{}{}:
		defer func() { <-t.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("tts: wait for a slot: %w", ctx.Err())
	}
	ctx, cancel := context.WithTimeout(ctx, ttsTimeout)
	defer cancel()
	voice := "en-us"
	if lang == "ko" {
		voice = "ko"
	}
	cmd := exec.CommandContext(ctx, t.path, "-v", voice, "-s", "150", "--stdout")
	cmd.Stdin = bytes.NewBufferString(text)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tts: espeak-ng: %w", err)
	}
	wav, err := fixWAVHeader(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("tts: %w", err)
	}
	t.mu.Lock()
	if _, ok := t.cache[key]; !ok {
		t.cache[key] = wav
		t.order = append(t.order, key)
		if len(t.order) > ttsCacheSize {
			delete(t.cache, t.order[0])
			t.order = t.order[1:]
		}
	}
	t.mu.Unlock()
	return wav, nil
}

// fixWAVHeader writes the real RIFF and data chunk sizes: espeak-ng writing
// to a pipe cannot seek back and leaves placeholders that some players reject.
func fixWAVHeader(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("espeak-ng output is not a WAV file")
	}
	out := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	for i := 12; i+8 <= len(out); {
		id, size := string(out[i:i+4]), int(binary.LittleEndian.Uint32(out[i+4:i+8]))
		if id == "data" {
			binary.LittleEndian.PutUint32(out[i+4:i+8], uint32(len(out)-i-8))
			return out, nil
		}
		if size < 0 || i+8+size > len(out) {
			break
		}
		i += 8 + size + size%2
	}
	return nil, errors.New("espeak-ng output has no data chunk")
}

// apiTTS answers GET /api/tts?alert=ID&lang=ko|en with the alert's own
// speech text as audio/wav, and GET /api/tts?phrase=KEY&n=N&lang=ko|en
// with one of the page's fixed summary sentences ("2 more alerts", held_alerts); 404
// when espeak-ng is not installed.
func (s *Server) apiTTS(c echo.Context) error {
	if c.QueryParam("phrase") != "" {
		return s.apiTTSPhrase(c)
	}
	id, err := strconv.ParseInt(c.QueryParam("alert"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "alert must be an alert id")
	}
	lang := c.QueryParam("lang")
	if lang != "ko" && lang != "en" {
		return echo.NewHTTPError(http.StatusBadRequest, "lang must be ko or en")
	}
	if s.tts.path == "" {
		return echo.NewHTTPError(http.StatusNotFound, "server-side speech is not available")
	}
	s.tts.sawLang(lang)
	a, err := s.store.Alert(c.Request().Context(), id)
	if err != nil {
		return err
	}
	text := a.Speech.En
	if lang == "ko" {
		text = a.Speech.Ko
	}
	wav, err := s.tts.speak(c.Request().Context(), lang, text)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, max-age=3600")
	return c.Blob(http.StatusOK, "audio/wav", wav)
}

// ttsPhrases are the summary sentences a screen may ask the server to say:
// catalog keys with a count, never text from the request.
var ttsPhrases = map[string]bool{"many_alerts": true, "held_alerts": true, "reconnected_one": true, "reconnected_many": true}

func (s *Server) apiTTSPhrase(c echo.Context) error {
	key := c.QueryParam("phrase")
	n, err := strconv.Atoi(c.QueryParam("n"))
	if !ttsPhrases[key] || err != nil || n < 1 || n > 9999 {
		return echo.NewHTTPError(http.StatusBadRequest, "phrase must be a summary sentence with n from 1 to 9999")
	}
	lang := c.QueryParam("lang")
	if lang != "ko" && lang != "en" {
		return echo.NewHTTPError(http.StatusBadRequest, "lang must be ko or en")
	}
	if s.tts.path == "" {
		return echo.NewHTTPError(http.StatusNotFound, "server-side speech is not available")
	}
	s.tts.sawLang(lang)
	text := catalog[key][0]
	if lang == "ko" {
		text = catalog[key][1]
	}
	wav, err := s.tts.speak(c.Request().Context(), lang, strings.ReplaceAll(text, "{n}", strconv.Itoa(n)))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "private, max-age=3600")
	return c.Blob(http.StatusOK, "audio/wav", wav)
}
