package packaging_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMSIUnderWine installs the MSI for real, in a fresh Wine prefix,
// against a glpi-enrolld on 127.0.0.1 (scripts/msi-smoke.sh, which `make
// msi-smoke` runs alone): Windows Installer's tables, the registry values
// of the official agent's properties among others, the service, the
// enrollment and the first inventory, an upgrade without properties that
// keeps them, and the uninstall. It needs Wine, mingw-w64 (for Wine's
// bcryptprimitives.dll shim), wixl, msitools, python3 and curl; without
// them it is skipped, and under CI (CI=true) it fails.
func TestMSIUnderWine(t *testing.T) {
	for _, tool := range []string{"wine64", "wineserver", "x86_64-w64-mingw32-gcc", "wixl", "msibuild", "msiinfo", "python3", "curl"} {
		if _, err := exec.LookPath(tool); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/usr/lib/wine", tool)); err == nil {
			continue // Debian's wine64 keeps its programs there
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed: CI installs it (.ci/run)", tool)
		}
		t.Skipf("%s is not installed: skipping the MSI's install under Wine (make msi-smoke MSI_SMOKE_INSTALL=1 installs what it needs)", tool)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("scripts", "msi-smoke.sh"))
	cmd.Dir = ".."
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// Its summary: a PASS or FAIL line per check.
	summary := out.String()
	if i := strings.LastIndex(summary, "== msi-smoke summary"); i >= 0 {
		summary = summary[i:]
	}
	if err != nil {
		t.Fatalf("msi-smoke: %v\n%s", err, out.String())
	}
	t.Log(summary)
}
