package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/collectors"
	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/shirou/gopsutil/v4/host"
)

// cloneOf compares the fingerprint stored at enrollment with the host's.
// Strong signals (machine-id or MachineGuid, SMBIOS UUID) identify a
// machine: one that was known and now differs means this disk was copied to
// another machine. Weak ones (serial, MACs) flap on real hardware (a NIC
// added, a board serial misread) and never make a clone on their own.
func cloneOf(stored, now enroll.Fingerprint) (clone bool, why string) {
	for _, s := range []struct{ name, was, is string }{
		{"machine id", stored.MachineID, now.MachineID},
		{"SMBIOS UUID", stored.SMBIOSUUID, now.SMBIOSUUID},
	} {
		if s.was != "" && s.is != "" && s.was != s.is {
			return true, s.name + " changed"
		}
	}
	return false, ""
}

// identityFiles are the files that make this installation a device: what a
// clone must not keep and an image must not carry. The registration key and
// the configuration are not among them.
var identityFiles = []string{enrollmentFile, replaceFile, "identity.json", "install_id", "run.json", sectionsFile, oldSectionsFile, firstBootFile}

// forgetIdentity removes the device identity from the state directory.
func (a *Agent) forgetIdentity() error {
	var errs []error
	for _, f := range identityFiles {
		if err := os.Remove(a.state.File(f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	// What the collectors kept of this machine (its database servers, its
	// users' software) is not the copy's.
	for _, f := range collectors.CachedFiles {
		if err := os.RemoveAll(a.state.File(f)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkClone runs before every enrollment use: when the host is not the one
// that enrolled, the copied identity is dropped (the original machine keeps
// its records untouched on the server) and this host enrolls as a new device
// if it has a key.
func (a *Agent) checkClone(e *Enrollment) (*Enrollment, error) {
	if e == nil {
		return nil, nil
	}
	install, err := installID(a.state)
	if err != nil {
		return nil, err
	}
	clone, why := cloneOf(e.Fingerprint, fingerprint(a.env, install))
	if !clone {
		return e, nil
	}
	a.log.Warn("this host is a copy of another enrolled machine: dropping the copied identity", "reason", why, "copied_device_id", e.DeviceID)
	if err := a.forgetIdentity(); err != nil {
		return nil, fmt.Errorf("drop copied identity: %w", err)
	}
	if k, _, _ := a.registrationKey(); k == "" {
		return nil, fmt.Errorf("this host is a copy of device %s (%s) and has no registration key to enroll as itself: put a key in registration_key_file or run `glpi-agentd enroll --key-file FILE`", e.DeviceID, why)
	}
	return nil, nil
}

// firstBootFile marks a state directory prepared for an image: enrollment
// waits for a boot other than the recorded one.
const firstBootFile = "enroll-after-boot"

// bootTime returns when the host last booted, which tells a real first boot
// from the boot the image was built in.
func (a *Agent) bootTime() (uint64, error) {
	return host.BootTimeWithContext(a.env.Context(context.Background()))
}

// armFirstBoot records the current boot: enrollment will wait for another.
func (a *Agent) armFirstBoot() error {
	bt, err := a.bootTime()
	if err != nil {
		return fmt.Errorf("read boot time: %w", err)
	}
	return state.WriteFileAtomic(a.state.File(firstBootFile), []byte(strconv.FormatUint(bt, 10)+"\n"), 0o600)
}

// ErrWaitFirstBoot reports that enrollment waits for the image's first boot.
var ErrWaitFirstBoot = errors.New("enrollment waits for the first boot of this image (delay_enroll)")

// ErrImageBoot reports a run in the boot a golden image was prepared in.
var ErrImageBoot = errors.New("this machine was prepared for an image (prepare-image): its identity is made at the image's first boot, not in the boot it was prepared in")

// markedBoot reports whether a first-boot marker exists (marked) and
// whether this is still the boot it recorded (same).
func (a *Agent) markedBoot() (marked, same bool, err error) {
	b, err := os.ReadFile(a.state.File(firstBootFile))
	if errors.Is(err, os.ErrNotExist) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	recorded, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	bt, err := a.bootTime()
	if err != nil {
		return true, false, fmt.Errorf("read boot time: %w", err)
	}
	// Boot times read twice in one boot can differ by a second.
	diff := int64(bt) - int64(recorded)
	return true, diff >= -2 && diff <= 2, nil
}

// imageBootOver returns ErrImageBoot while a state directory prepared for
// an image is still in the boot it was prepared in; it leaves the marker
// for enrollment, which removes it.
func (a *Agent) imageBootOver() error {
	_, same, err := a.markedBoot()
	switch {
	case err != nil:
		return err
	case same:
		return ErrImageBoot
	}
	return nil
}

// firstBootReached reports whether enrollment may go ahead: no marker, or a
// boot other than the one recorded. With delay_enroll and no marker yet, the
// current boot is recorded and enrollment waits for the next one.
func (a *Agent) firstBootReached() error {
	marked, same, err := a.markedBoot()
	switch {
	case err != nil:
		return err
	case !marked && !a.cfg.DelayEnroll:
		return nil
	case !marked:
		if err := a.armFirstBoot(); err != nil {
			return err
		}
		return ErrWaitFirstBoot
	case same:
		return ErrWaitFirstBoot
	}
	os.Remove(a.state.File(firstBootFile))
	return nil
}

// retireTimeout bounds prepare-image's call to the enrollment service.
const retireTimeout = 15 * time.Second

// retire asks the enrollment service to retire device e.
func (a *Agent) retire(ctx context.Context, e *Enrollment) error {
	ctx, cancel := context.WithTimeout(ctx, retireTimeout)
	defer cancel()
	client, err := a.enrollClient(e.Server, a.serverPin(e))
	if err != nil {
		return err
	}
	if e, err = a.freshCredential(ctx, client, e); err != nil {
		return err
	}
	return client.Retire(ctx, e.Credential.AccessToken)
}

// PrepareImage readies this installation for a golden image: it wipes the
// device identity (credential, install id, deviceid, agent UUID,
// fingerprint, partial-inventory digests), keeps the registration key and
// the configuration, and makes the next enrollment wait for a boot other
// than this one. It returns advice on what else the image needs.
func (a *Agent) PrepareImage(ctx context.Context) ([]string, error) {
	var advice []string
	// The machine the image is made on would otherwise stay an "active"
	// device on the service, holding a key use: tell the service, when it
	// can be reached, that this device is gone.
	if e, err := a.Enrollment(); err == nil && e != nil && !e.Revoked {
		if err := a.retire(ctx, e); err != nil {
			a.log.Warn("could not tell the enrollment service that this device is gone", "device_id", e.DeviceID, "err", err)
			advice = append(advice, fmt.Sprintf("the enrollment service could not be told that device %s is gone (%v): revoke it there (glpi-enrolld device revoke %s)", e.DeviceID, err, e.DeviceID))
		} else {
			advice = append(advice, "device "+e.DeviceID+" retired on the enrollment service")
		}
	}
	if err := a.forgetIdentity(); err != nil {
		return nil, err
	}
	if err := a.armFirstBoot(); err != nil {
		return nil, err
	}
	advice = append(advice, "device identity removed from "+a.state.Path)
	if k, _, _ := a.registrationKey(); k == "" {
		advice = append(advice, "no registration key is installed: clones will not enroll on their own (set registration_key_file)")
	} else {
		advice = append(advice, "registration key kept: each clone enrolls as its own device at first boot")
	}
	if a.env.Live() {
		if mid := a.env.ReadString("/etc/machine-id"); mid != "" {
			advice = append(advice, "empty /etc/machine-id before capturing (truncate -s 0 /etc/machine-id), so each clone gets its own")
		}
	}
	advice = append(advice, "on Windows, generalize the image with sysprep /generalize so each clone gets its own MachineGuid")
	// A clone keeps the official agent's deviceid only while it keeps
	// this machine's name; one that does would share the image's.
	for _, p := range a.officialStateFilesHere() {
		if _, err := a.readHostFile(p); err == nil {
			advice = append(advice, "the official agent's state file "+p+" is in the image: remove it, or a clone that keeps this machine's name takes its deviceid")
		}
	}
	return advice, nil
}
