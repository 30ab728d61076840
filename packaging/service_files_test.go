package packaging_test

import (
	"flag"
	"os"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/service"
)

var update = flag.Bool("update", false, "rewrite the service files from agent/service")

// TestServiceFiles checks that the unit and plist the packages ship are
// the ones `glpi-agentd service install` writes.
func TestServiceFiles(t *testing.T) {
	for _, tt := range []struct {
		file string
		want string
	}{
		{"linux/glpi-agentd.service", service.SystemdUnit("/usr/bin/glpi-agentd", service.RunArgs...)},
		{"darwin/org.glpi-agentd.plist", service.LaunchdPlist("/usr/local/bin/glpi-agentd", service.RunArgs...)},
	} {
		if *update {
			if err := os.WriteFile(tt.file, []byte(tt.want), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.want {
			t.Errorf("%s differs from what agent/service renders; run go test ./packaging -run TestServiceFiles -update", tt.file)
		}
	}
}
