package cli

import (
	"fmt"
	"os"

	"github.com/kardianos/service"

	svc "github.com/glpi-agentd/glpi-agentd/agent/service"
)

// stopServiceForImage stops the installed service before its identity is
// wiped, so that it cannot write a new one behind prepare-image's back. A
// service that is not installed, or a service manager that is not running
// (a chroot, an image being built), is nothing to stop.
func stopServiceForImage(g *globals) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find executable: %w", err)
	}
	s, err := service.New(&svc.Program{}, svc.Config(exe))
	if err != nil {
		return nil
	}
	if st, err := s.Status(); err != nil || st != service.StatusRunning {
		return nil
	}
	if err := s.Stop(); err != nil {
		return fmt.Errorf("stop the %s service before preparing the image: %w", svc.Name, err)
	}
	fmt.Fprintf(g.stdout, "stopped the %s service\n", svc.Name)
	return nil
}
