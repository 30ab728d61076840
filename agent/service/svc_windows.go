package service

import (
	"fmt"
	"time"

	"golang.org/x/sys/windows/svc"
)

// RunSCM runs p as the Windows service Name under the service control
// manager and returns when the service stops. It does not ask whether the
// process is a service, as kardianos's Run does: the caller knows, because
// the service was registered with `run --service` (the MSI does so).
// Detection can fail where the process runs as a service anyway (Wine),
// and the manager then gives up waiting for the service to start.
func RunSCM(p *Program) error {
	if err := svc.Run(Name, &scmHandler{p: p}); err != nil {
		return fmt.Errorf("run service %s: %w", Name, err)
	}
	return nil
}

// scmHandler reports the service's state to the service control manager
// and starts and stops the Program on its requests.
type scmHandler struct{ p *Program }

// Execute implements svc.Handler; svc.Run reports Stopped when it returns.
func (h *scmHandler) Execute(_ []string, reqs <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	log := h.p.logger()
	status <- svc.Status{State: svc.StartPending}
	if err := h.p.Start(nil); err != nil {
		log.Error("start agent", "err", err)
		return false, 1
	}
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for req := range reqs {
		switch req.Cmd {
		case svc.Interrogate:
			status <- req.CurrentStatus
		case svc.Stop, svc.Shutdown:
			status <- svc.Status{State: svc.StopPending, WaitHint: uint32(h.p.stopTimeout() / time.Millisecond)}
			if err := h.p.Stop(nil); err != nil {
				log.Error("stop agent", "err", err)
				return false, 1
			}
			return false, 0
		}
	}
	return false, 0
}
