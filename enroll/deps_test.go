package enroll_test

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages that pkgs import, directly or not, for goos.
func deps(t *testing.T, goos string, pkgs ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-deps", "-test=false"}, pkgs...)...)
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %v (GOOS=%s): %v", pkgs, goos, err)
	}
	return strings.Fields(string(out))
}

// TestBoundaries keeps the tree's two sides apart: the service imports GLPI's
// protocol (glpi/) but nothing of the agent, and the agent's binary links no
// database driver nor any of the service's code, on every OS it is built for.
func TestBoundaries(t *testing.T) {
	const mod = "github.com/glpi-agentd/glpi-agentd/"
	for _, p := range deps(t, "linux", mod+"enroll/...", mod+"cmd/glpi-enrolld") {
		if strings.HasPrefix(p, mod+"agent") || strings.HasPrefix(p, mod+"collectors") {
			t.Errorf("the service imports %s", p)
		}
	}
	forbidden := []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", mod + "enroll/server", mod + "enroll/store"}
	for _, goos := range []string{"linux", "windows", "darwin"} {
		for _, p := range deps(t, goos, mod+"cmd/glpi-agentd") {
			for _, f := range forbidden {
				if p == f || strings.HasPrefix(p, f+"/") {
					t.Errorf("GOOS=%s: the agent links %s", goos, p)
				}
			}
		}
	}
}
