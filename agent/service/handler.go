package service

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// Logger is what the service manager's logger offers (service.Logger):
// on Windows, the Application event log.
type Logger interface {
	Error(v ...any) error
	Warning(v ...any) error
	Info(v ...any) error
}

// handler is a slog.Handler that formats records as text without time
// and level (the event log records both) and forwards them to a Logger
// at the matching level.
type handler struct {
	out   Logger
	level slog.Leveler
	mu    *sync.Mutex
	buf   *bytes.Buffer
	text  slog.Handler // writes into buf
}

// NewHandler returns a slog.Handler that sends records at level or above
// to out: errors as errors, warnings as warnings, the rest as information.
func NewHandler(out Logger, level slog.Leveler) slog.Handler {
	buf := new(bytes.Buffer)
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{
		Level: slog.LevelDebug, // filtered by Enabled
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey) {
				return slog.Attr{}
			}
			return a
		},
	})
	return &handler{out: out, level: level, mu: new(sync.Mutex), buf: buf, text: text}
}

func (h *handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buf.Reset()
	if err := h.text.Handle(ctx, r); err != nil {
		return err
	}
	line := strings.TrimSuffix(h.buf.String(), "\n")
	switch {
	case r.Level >= slog.LevelError:
		return h.out.Error(line)
	case r.Level >= slog.LevelWarn:
		return h.out.Warning(line)
	}
	return h.out.Info(line)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.text = h.text.WithAttrs(as)
	return &c
}

func (h *handler) WithGroup(name string) slog.Handler {
	c := *h
	c.text = h.text.WithGroup(name)
	return &c
}
