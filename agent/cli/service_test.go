package cli

import (
	"bytes"
	"path/filepath"
	"slices"
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
