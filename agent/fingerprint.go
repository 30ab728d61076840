package agent

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func hashSignal(s string) string { return enroll.HashSignal(s) }

// installID returns the random id of this installation, created at first
// use. It is copied with the disk, which is why it is one signal among others.
func installID(st *state.Dir) (string, error) {
	p := st.File("install_id")
	if b, err := os.ReadFile(p); err == nil && state.ValidUUID(strings.TrimSpace(string(b))) {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	id := state.NewUUID()
	return id, state.WriteFileAtomic(p, []byte(id+"\n"), 0o600)
}

// fingerprint gathers the host's identity signals, each hashed: the
// service compares them, it never sees them.
func fingerprint(env *collectors.Env, install string) enroll.Fingerprint {
	s := collectors.HostSignals(context.Background(), env)
	fp := enroll.Fingerprint{
		InstallID:  install,
		MachineID:  hashSignal(s.MachineID),
		SMBIOSUUID: hashSignal(s.SMBIOSUUID),
		Serial:     hashSignal(s.Serial),
	}
	for _, mac := range s.MACs {
		fp.MACs = append(fp.MACs, hashSignal(mac))
	}
	slices.Sort(fp.MACs)
	return fp
}
