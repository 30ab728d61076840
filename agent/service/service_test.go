package service

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kardianos/service"
)

// blockingServe is a daemon that runs until its context is done.
func blockingServe(started chan<- struct{}) func(context.Context) error {
	return func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}
}

func TestProgramStartStop(t *testing.T) {
	started := make(chan struct{})
	exited := make(chan int, 1)
	p := &Program{Serve: blockingServe(started), Exit: func(code int) { exited <- code }}
	if err := p.Start(nil); err != nil {
		t.Fatalf("Start() = %v, want nil", err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve was not called after Start")
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("Stop() = %v, want nil", err)
	}
	select {
	case code := <-exited:
		t.Errorf("Exit(%d) called after Stop, want no call", code)
	default:
	}
}

func TestProgramServeEndsOnItsOwn(t *testing.T) {
	exited := make(chan int, 1)
	p := &Program{
		Serve: func(context.Context) error { return errors.New("listener broke") },
		Exit:  func(code int) { exited <- code },
	}
	if err := p.Start(nil); err != nil {
		t.Fatalf("Start() = %v, want nil", err)
	}
	select {
	case code := <-exited:
		if code != 1 {
			t.Errorf("Exit(%d), want Exit(1)", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Exit not called when Serve returned on its own")
	}
	if err := p.Stop(nil); err == nil || !strings.Contains(err.Error(), "listener broke") {
		t.Errorf("Stop() = %v, want the Serve error", err)
	}
}

func TestProgramStopTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	p := &Program{
		Serve:       func(context.Context) error { <-release; return nil },
		StopTimeout: 20 * time.Millisecond,
		Exit:        func(int) {},
	}
	if err := p.Start(nil); err != nil {
		t.Fatalf("Start() = %v, want nil", err)
	}
	if err := p.Stop(nil); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Errorf("Stop() = %v, want a timeout error", err)
	}
}

// TestRunThroughServiceManager drives the Program through kardianos's Run,
// as the service manager does, with the wait for the stop signal replaced.
func TestRunThroughServiceManager(t *testing.T) {
	started := make(chan struct{})
	p := &Program{Serve: blockingServe(started), Exit: func(code int) { t.Errorf("Exit(%d) called", code) }}
	cfg := Config("/usr/bin/glpi-agentd")
	cfg.Option["RunWait"] = func() { <-started }
	s, err := service.New(p, cfg)
	if err != nil {
		t.Fatalf("service.New() = %v", err)
	}
	if service.Platform() == "windows-service" {
		t.Skip("Run talks to the Windows service control manager")
	}
	done := make(chan error, 1)
	go func() { done <- s.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the stop")
	}
}

func TestConfig(t *testing.T) {
	c := Config("/opt/glpi agentd/glpi-agentd", "--config", "/etc/x.toml")
	if want := []string{"run", "--config", "/etc/x.toml"}; !slices.Equal(c.Arguments, want) {
		t.Errorf("Config().Arguments = %q, want %q", c.Arguments, want)
	}
	if c.DisplayName != "GLPI Agent (glpi-agentd)" {
		t.Errorf("Config().DisplayName = %q, want %q", c.DisplayName, "GLPI Agent (glpi-agentd)")
	}
	for key, want := range map[string]any{
		"Restart": "always", "OnFailure": "restart", "OnFailureDelayDuration": "15s",
		"OnFailureResetPeriod": 86400, "StartType": "automatic",
	} {
		if got := c.Option[key]; got != want {
			t.Errorf("Config().Option[%q] = %v, want %v", key, got, want)
		}
	}
	if got := c.Option["SystemdScript"]; got != SystemdUnit(c.Executable, c.Arguments...) {
		t.Errorf("Config().Option[SystemdScript] is not SystemdUnit(exe, args...): %v", got)
	}
}

func TestSystemdCommand(t *testing.T) {
	for _, tt := range []struct {
		exe  string
		args []string
		want string
	}{
		{"/usr/bin/glpi-agentd", []string{"run"}, "/usr/bin/glpi-agentd run"},
		{"/opt/my agent/glpi-agentd", []string{"run", "--config", `/etc/a "b".toml`}, `"/opt/my agent/glpi-agentd" run --config "/etc/a \"b\".toml"`},
	} {
		if got := systemdCommand(tt.exe, tt.args); got != tt.want {
			t.Errorf("systemdCommand(%q, %q) = %s, want %s", tt.exe, tt.args, got, tt.want)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	unit := SystemdUnit("/usr/bin/glpi-agentd", "run")
	for _, line := range []string{
		"ExecStart=/usr/bin/glpi-agentd run", "Restart=always", "NoNewPrivileges=yes",
		"ProtectSystem=strict", "ReadWritePaths=/var/lib/glpi-agentd -/etc/glpi-agentd",
		"CapabilityBoundingSet=CAP_DAC_READ_SEARCH", "WantedBy=multi-user.target",
	} {
		if !slices.Contains(strings.Split(unit, "\n"), line) {
			t.Errorf("SystemdUnit() has no line %q", line)
		}
	}
	// These would hide /dev, where disk serials are read.
	for _, bad := range []string{"PrivateDevices=", "ProtectClock=", "DeviceAllow=", "{{"} {
		if strings.Contains(unit, bad) {
			t.Errorf("SystemdUnit() contains %q", bad)
		}
	}
}

func TestLaunchdPlist(t *testing.T) {
	plist := LaunchdPlist("/usr/local/bin/glpi-agentd", "run", "--config", "/tmp/a&b.toml")
	var strs []string
	d := xml.NewDecoder(strings.NewReader(plist))
	d.Strict = true
	inString := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("LaunchdPlist() is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inString = tok.Name.Local == "string"
		case xml.CharData:
			if inString {
				strs = append(strs, string(tok))
			}
		case xml.EndElement:
			inString = false
		}
	}
	want := []string{Label, "/usr/local/bin/glpi-agentd", "run", "--config", "/tmp/a&b.toml", "/Library/Logs/glpi-agentd.log"}
	if !slices.Equal(strs, want) {
		t.Errorf("LaunchdPlist() strings = %q, want %q", strs, want)
	}
}

// fakeLogger records what a service logger receives.
type fakeLogger struct{ got []string }

func (f *fakeLogger) add(kind string, v []any) error {
	f.got = append(f.got, kind+": "+fmt.Sprint(v...))
	return nil
}
func (f *fakeLogger) Error(v ...any) error   { return f.add("error", v) }
func (f *fakeLogger) Warning(v ...any) error { return f.add("warning", v) }
func (f *fakeLogger) Info(v ...any) error    { return f.add("info", v) }

func TestHandler(t *testing.T) {
	for _, tt := range []struct {
		name  string
		level slog.Level
		log   func(*slog.Logger)
		want  []string
	}{
		{"info", slog.LevelInfo, func(l *slog.Logger) { l.Info("run done", "items", 3) }, []string{`info: msg="run done" items=3`}},
		{"warn", slog.LevelInfo, func(l *slog.Logger) { l.Warn("slow") }, []string{"warning: msg=slow"}},
		{"error", slog.LevelInfo, func(l *slog.Logger) { l.Error("send failed", "err", "refused") }, []string{"error: msg=\"send failed\" err=refused"}},
		{"debug filtered", slog.LevelInfo, func(l *slog.Logger) { l.Debug("noise") }, nil},
		{"debug kept", slog.LevelDebug, func(l *slog.Logger) { l.Debug("noise") }, []string{"info: msg=noise"}},
		{"attrs and groups", slog.LevelInfo, func(l *slog.Logger) {
			l.With("collector", "bios").WithGroup("g").Info("x", "k", "v")
		}, []string{"info: msg=x collector=bios g.k=v"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeLogger{}
			tt.log(slog.New(NewHandler(f, tt.level)))
			if !slices.Equal(f.got, tt.want) {
				t.Errorf("logged %q, want %q", f.got, tt.want)
			}
		})
	}
}
