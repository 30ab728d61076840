package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestServiceArgs(t *testing.T) {
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for _, tt := range []struct {
		name             string
		config, stateDir string
		want             []string
	}{
		{"none", "", "", nil},
		{"relative paths made absolute", "agent.toml", "state", []string{"--config", abs("agent.toml"), "--state-dir", abs("state")}},
		{"state dir only", "", "/var/lib/x", []string{"--state-dir", "/var/lib/x"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := &globals{configFile: tt.config, stateDir: tt.stateDir}
			got, err := g.serviceArgs()
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("serviceArgs() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

func TestServiceUsage(t *testing.T) {
	for _, args := range [][]string{{"service"}, {"service", "restart-all"}, {"service", "start", "extra"}} {
		var out bytes.Buffer
		g := &globals{stdout: &out, stderr: &out}
		if err := cmdService(g, args[1:]); err != (exitError{2}) {
			t.Errorf("cmdService(%q) = %v, want exit status 2", args[1:], err)
		}
	}
}

func TestRunServiceElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("run --service talks to the Windows service control manager")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(cfg, []byte("server = \"http://127.0.0.1:1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	g := &globals{stdout: &out, stderr: &out, configFile: cfg, stateDir: filepath.Join(dir, "state")}
	err := cmdRun(g, []string{"--service"})
	if err == nil || !strings.Contains(err.Error(), "no Windows service control manager") {
		t.Errorf("cmdRun(--service) = %v, want the no service control manager error", err)
	}
}
