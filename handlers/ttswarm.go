package handlers

import (
	"context"
	"log/slog"
	"time"

	"github.com/syncmon/syncmon/monitor"
	"github.com/syncmon/syncmon/store"
)

// Speech warm-up: every alert that opens (or changes what it says) is
// rendered by espeak-ng as soon as it is committed, so that a screen
// without a browser voice finds its /api/tts answer in the cache. It is a
// subscriber of the store's feed like any screen, so it runs after the
// commit and never holds the writer back: events arrive on a bounded
// queue, and what does not fit is dropped (the screen's own request then
// renders it, as before). One worker renders, within the engine's slots.
const ttsWarmQueue = 32

// sawLang notes the language a screen asked speech in: it is warmed first.
func (t *ttsEngine) sawLang(lang string) {
	t.mu.Lock()
	t.lastLang = lang
	t.mu.Unlock()
}

// warmLangs is the order to render in: the language asked for last, then the other.
func (t *ttsEngine) warmLangs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastLang == "ko" {
		return []string{"ko", "en"}
	}
	return []string{"en", "ko"}
}

// warmSpeech renders the speech of alerts as they open until the server
// stops. It does nothing when espeak-ng is not installed.
func (s *Server) warmSpeech() {
	defer s.wg.Done()
	if s.tts.path == "" || s.store == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
		case <-ctx.Done():
		}
		cancel()
	}()
	for ctx.Err() == nil {
		sub, _, err := s.store.Subscribe(ctx, -1)
		if err != nil {
			s.log.Warn("tts warm-up: subscribe", slog.Any("err", err))
			return
		}
		queue := make(chan monitor.Alert, ttsWarmQueue)
		sub.Start(func(e store.Event) bool {
			if a := e.Alert; a != nil && !a.Silenced && a.State == monitor.StateOpen &&
				(e.Type == monitor.AlertOpened || e.Type == monitor.AlertUpdated) {
				select {
				case queue <- *a:
				default: // full: the screen's own request renders it
				}
			}
			return true
		})
		s.renderQueued(ctx, sub.Done(), queue)
		sub.Close()
		select { // dropped (the store closing, say): try again shortly
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

func (s *Server) renderQueued(ctx context.Context, done <-chan struct{}, queue <-chan monitor.Alert) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-done:
			return
		case a := <-queue:
			for _, lang := range s.tts.warmLangs() {
				text := a.Speech.En
				if lang == "ko" {
					text = a.Speech.Ko
				}
				if text == "" {
					continue
				}
				if _, err := s.tts.speak(ctx, lang, text); err != nil && ctx.Err() == nil {
					s.log.Warn("tts warm-up", slog.Int64("alert", a.ID), slog.Any("err", err))
				}
			}
		}
	}
}
