package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent"
	"github.com/glpi-agentd/glpi-agentd/agent/config"
)

// readKeyFile reads a registration key from a file, or standard input for
// "-". Keys never come from the command line, where any user sees them.
func readKeyFile(name string, stdin io.Reader) (string, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return "", fmt.Errorf("read registration key: %w", err)
	}
	k := strings.TrimSpace(string(b))
	if k == "" {
		return "", fmt.Errorf("read registration key: %s is empty", name)
	}
	return k, nil
}

// applyKey gives the agent the key from --key-file, else from the
// environment, else the one the MSI stored in the registry (Windows).
func (g *globals) applyKey(a *agent.Agent, keyFile string) error {
	if keyFile != "" {
		k, err := readKeyFile(keyFile, os.Stdin)
		if err != nil {
			return err
		}
		a.SetRegistrationKey(k)
		return nil
	}
	for _, kv := range g.environ {
		if v, ok := strings.CutPrefix(kv, "GLPI_AGENTD_REGISTRATION_KEY="); ok && v != "" {
			a.SetRegistrationKey(v)
			return nil
		}
	}
	if k := config.RegistryRegistrationKey(); k != "" {
		a.SetRegistrationKey(k)
	}
	return nil
}

func cmdEnroll(g *globals, args []string) error {
	fs := g.flags("enroll", "")
	server := fs.String("server", "", "glpi-enrolld `URL` (overrides the configuration)")
	keyFile := fs.String("key-file", "", "read the registration key from `file` (- for standard input)")
	force := fs.Bool("force", false, "enroll again even if already enrolled")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, cfg, closeFn, err := g.setup()
	if err != nil {
		return err
	}
	defer closeFn()
	if *server != "" {
		cfg.Server = *server
	}
	if err := g.applyKey(a, *keyFile); err != nil {
		return err
	}
	ctx, cancel := signalContext()
	defer cancel()
	e, err := a.Enroll(ctx, *force)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(g.stdout).Encode(map[string]any{
			"device_id": e.DeviceID, "glpi_deviceid": e.GLPIDeviceID, "server": e.Server, "tag": e.Tag,
		})
	}
	fmt.Fprintf(g.stdout, "enrolled as device %s (GLPI deviceid %s) on %s\n", e.DeviceID, e.GLPIDeviceID, e.Server)
	return nil
}
