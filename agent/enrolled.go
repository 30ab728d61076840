package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// Enrollment is what the agent keeps from glpi-enrolld: its device
// identity and credential. It is stored owner-only and never logged.
type Enrollment struct {
	Server        string             `json:"server"`
	DeviceID      string             `json:"device_id"`
	GLPIDeviceID  string             `json:"glpi_deviceid"`
	AgentID       string             `json:"agent_id"`
	Tag           string             `json:"tag,omitempty"`
	Credential    enroll.Credential  `json:"credential"`
	ReplaceSecret string             `json:"replace_secret,omitempty"`
	Fingerprint   enroll.Fingerprint `json:"fingerprint"`
	EnrolledAt    time.Time          `json:"enrolled_at"`
	// PendingRefresh are the next refresh secrets this agent proposed in
	// renewals whose answer it has not stored yet, oldest first. After a
	// crash in a renewal, one of them may be the service's current secret.
	PendingRefresh []string `json:"pending_refresh,omitempty"`
	// Revoked is set when the server said device_revoked: the agent then
	// sends nothing and never enrolls again on its own.
	Revoked   bool      `json:"revoked,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// Pin is the server pin the key bundle carried, kept so that the runs
	// after the key file is gone (forget_registration_key) still pin the
	// server: a self-signed one stays reachable, and a CA-trusted impostor
	// is refused.
	Pin string `json:"pin,omitempty"`
}

const enrollmentFile = "enrollment.json"

// replaceFile keeps the device id and replace secret of the first
// enrollment apart from the credential, so that an install that lost its
// credential (a reinstall over kept state, a damaged file) takes back the
// same device instead of creating another.
const replaceFile = "replace.json"

// ErrRevoked reports that glpi-enrolld revoked this device.
var ErrRevoked = errors.New("this device was revoked on the enrollment service: it sends nothing until an administrator re-enrolls it (glpi-agentd enroll --force with a valid key)")

// refreshMargin is how long before its expiry the access token is renewed.
const refreshMargin = 5 * time.Minute

// Enrollment returns the stored enrollment, or nil when there is none.
func (a *Agent) Enrollment() (*Enrollment, error) {
	var e Enrollment
	err := state.ReadJSON(a.state.File(enrollmentFile), &e)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

func (a *Agent) saveEnrollment(e *Enrollment) error {
	return state.WriteJSON(a.state.File(enrollmentFile), e)
}

// SetRegistrationKey gives the agent a registration key (or bundle) read by
// the command line from a file, standard input or the environment. It takes
// precedence over registration_key_file.
func (a *Agent) SetRegistrationKey(k string) { a.regKey = strings.TrimSpace(k) }

// registrationKey returns the key to enroll with, and the bundle's server
// URL and pin when the key came as a bundle. An absent key is "", nil.
func (a *Agent) registrationKey() (key string, bundle *enroll.Bundle, err error) {
	k := a.regKey
	if k == "" && a.cfg.RegistrationKeyFile != "" {
		b, err := os.ReadFile(a.cfg.RegistrationKeyFile)
		if errors.Is(err, os.ErrNotExist) {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("read registration key: %w", err)
		}
		k = strings.TrimSpace(string(b))
	}
	if k == "" {
		return "", nil, nil
	}
	if strings.HasPrefix(k, enroll.BundlePrefix) {
		b, err := enroll.ParseBundle(k)
		if err != nil {
			return "", nil, err
		}
		return b.Key, &b, nil
	}
	if _, err := enroll.ParseKey(k); err != nil {
		return "", nil, err
	}
	return k, nil, nil
}

// Enrolled reports whether runs go to glpi-enrolld: the agent has an
// enrollment or a registration key to get one.
func (a *Agent) Enrolled() bool {
	if e, _ := a.Enrollment(); e != nil {
		return true
	}
	k, _, err := a.registrationKey()
	return k != "" || err != nil
}

// Pending tells, for an agent not enrolled yet, why and where it will
// enroll: image is set while a prepared image waits for its first boot,
// key when a registration key is configured; server is the service the key
// or its bundle names.
func (a *Agent) Pending() (image, key bool, server string) {
	if _, err := os.Stat(a.state.File(firstBootFile)); err == nil {
		image = true
	}
	k, bundle, err := a.registrationKey()
	key = k != "" || err != nil
	server, _ = a.serverAndPin(bundle)
	return image, key, server
}

// enrollClient builds the client for the enrollment service.
func (a *Agent) enrollClient(server, pin string) (*enroll.Client, error) {
	if server == "" {
		return nil, errors.New("no server configured: set server (the glpi-enrolld URL) or use a key bundle")
	}
	if pin == "" {
		pin = a.cfg.SSLFingerprint
	}
	port := a.cfg.HTTPDPort
	if a.cfg.NoHTTPD {
		port = 0
	}
	a.warnClientCertificate()
	return enroll.NewClient(enroll.ClientConfig{
		URL:          server,
		CAFile:       a.cfg.CACertFile,
		CADir:        a.cfg.CACertDir,
		CertFile:     a.cfg.SSLCertFile,
		KeyFile:      a.cfg.SSLKeyFile,
		PinSHA256:    pin,
		InsecureHTTP: a.cfg.InsecureHTTP,
		Timeout:      config.Seconds(a.cfg.Timeout),
		UserAgent:    UserAgent(),
		Logger:       a.log,
		HTTPDPort:    port,
		StreamIdle:   streamIdle,
	})
}

// streamIdle is how long a streamed check-in's answer may go without a
// byte; zero is the client's default (a keep-alive's interval and the
// timeout). Tests shorten it.
var streamIdle time.Duration

// serverAndPin resolves the enrollment service's URL and pin: the
// configuration first, then the key bundle.
func (a *Agent) serverAndPin(bundle *enroll.Bundle) (string, string) {
	server, pin := a.cfg.Server, ""
	if bundle != nil {
		if server == "" {
			server = bundle.URL
		}
		pin = bundle.Pin
	}
	return server, pin
}

// Enroll enrolls now with the registration key, even if already enrolled
// when force is set, and stores the result.
func (a *Agent) Enroll(ctx context.Context, force bool) (*Enrollment, error) {
	old, err := a.Enrollment()
	if err != nil {
		return nil, err
	}
	if old, err = a.checkClone(old); err != nil {
		return nil, err
	}
	switch {
	case old != nil && !old.Revoked && !force:
		return old, nil
	case old != nil && old.Revoked && !force:
		// A revocation sticks: only its owner's `enroll --force` with
		// a valid key makes the machine a device again.
		return old, nil
	}
	if !force {
		if err := a.firstBootReached(); err != nil {
			return nil, err
		}
	}
	key, bundle, err := a.registrationKey()
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, errors.New("no registration key: give --key-file FILE, set GLPI_AGENTD_REGISTRATION_KEY, or registration_key_file in the configuration")
	}
	server, pin := a.serverAndPin(bundle)
	client, err := a.enrollClient(server, pin)
	if err != nil {
		return nil, err
	}
	install, err := installID(a.state)
	if err != nil {
		return nil, err
	}
	fp := fingerprint(a.env, install)
	req := &enroll.EnrollRequest{
		Hostname:     a.Hostname(),
		AgentVersion: Version,
		OS:           runtime.GOOS,
		Arch:         runtime.GOARCH,
		InstallID:    install,
		Fingerprint:  fp,
	}
	var rep enroll.Replace
	if err := state.ReadJSON(a.state.File(replaceFile), &rep); err == nil && rep.DeviceID != "" {
		req.Replace = &rep
	}
	// The deviceid GLPI knows this machine by, when it moves from the
	// official agent: the service keeps it if it names this host.
	if prev := a.officialIdentity(); prev != nil {
		req.PreviousGLPIDeviceID = prev.DeviceID
	}
	resp, err := client.Enroll(ctx, key, req)
	if err != nil {
		return nil, err
	}
	if !state.ValidDeviceID(resp.GLPIDeviceID) {
		// It names the inventory file of --local DIR.
		return nil, fmt.Errorf("enroll: the service assigned GLPI deviceid %q, not a host name then -YYYY-MM-DD-HH-MM-SS", resp.GLPIDeviceID)
	}
	e := &Enrollment{
		Server:        server,
		Pin:           pin,
		DeviceID:      resp.DeviceID,
		GLPIDeviceID:  resp.GLPIDeviceID,
		AgentID:       resp.AgentID,
		Tag:           resp.Tag,
		Credential:    resp.Credential,
		ReplaceSecret: resp.ReplaceSecret,
		Fingerprint:   fp,
		EnrolledAt:    time.Now().UTC(),
	}
	if err := a.saveEnrollment(e); err != nil {
		return nil, err
	}
	if e.ReplaceSecret != "" {
		if err := state.WriteJSON(a.state.File(replaceFile), enroll.Replace{DeviceID: e.DeviceID, ReplaceSecret: e.ReplaceSecret}); err != nil {
			return nil, err
		}
	}
	if err := a.state.SetIdentity(&state.Identity{DeviceID: e.GLPIDeviceID, AgentID: e.AgentID, CreatedAt: e.EnrolledAt}); err != nil {
		return nil, err
	}
	a.setPushedTrust(resp.AgentTrust, server)
	select {
	case a.enrolled <- struct{}{}:
	default:
	}
	a.log.Info("enrolled", "device_id", e.DeviceID, "glpi_deviceid", e.GLPIDeviceID, "server", server)
	if a.cfg.ForgetRegistrationKey && a.cfg.RegistrationKeyFile != "" && a.regKey == "" {
		if err := os.Remove(a.cfg.RegistrationKeyFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			a.log.Warn("registration key file not removed", "err", err)
		}
	}
	return e, nil
}

// refresh renews the credential. The agent chooses the next refresh secret
// and stores it before asking, so a renewal cut off at any point (the
// answer lost, the agent killed before writing it) leaves it a secret the
// service accepts: the candidates are tried newest first, so a spent one is
// never presented while a newer one is current.
func (a *Agent) refresh(ctx context.Context, client *enroll.Client, e *Enrollment) error {
	next := enroll.NewToken(enroll.RefreshSecretPrefix)
	candidates := slices.Clone(e.PendingRefresh)
	slices.Reverse(candidates)
	candidates = append(candidates, e.Credential.RefreshSecret)
	e.PendingRefresh = append(e.PendingRefresh, next)
	if n := len(e.PendingRefresh); n > maxPendingRefresh {
		e.PendingRefresh = e.PendingRefresh[n-maxPendingRefresh:]
	}
	if err := a.saveEnrollment(e); err != nil {
		return err
	}
	var err error
	for _, secret := range candidates {
		var cred *enroll.Credential
		cred, err = client.Refresh(ctx, &enroll.RefreshRequest{
			DeviceID:          e.DeviceID,
			RefreshSecret:     secret,
			Generation:        e.Credential.Generation,
			Fingerprint:       &e.Fingerprint,
			NextRefreshSecret: next,
		})
		if err == nil {
			e.Credential, e.PendingRefresh = *cred, nil
			return a.saveEnrollment(e)
		}
		if re, ok := errors.AsType[*enroll.RejectError](err); !ok || re.Reason != enroll.ReasonTokenInvalid {
			return err
		}
	}
	return err
}

// maxPendingRefresh bounds the proposed secrets kept across failed renewals.
const maxPendingRefresh = 4

// RunEnrolled runs once against glpi-enrolld: enroll if needed, renew the
// token when due, send the inventory with it.
func (a *Agent) RunEnrolled(ctx context.Context, req Request) (rep *Report, err error) {
	a.runMu.Lock()
	defer a.runMu.Unlock()
	a.running.Store(true)
	defer a.running.Store(false)
	start := time.Now()
	a.reports.add(req.Actions, "running", "", 0)
	defer func() {
		if err != nil {
			a.reports.add(req.Actions, "failed", err.Error(), 0)
		}
	}()

	e, err := a.Enroll(ctx, false)
	if err != nil {
		return nil, err
	}
	if e.Revoked {
		return nil, ErrRevoked
	}
	client, err := a.enrollClient(e.Server, a.serverPin(e))
	if err != nil {
		return nil, err
	}
	run, err := a.state.Run()
	if err != nil {
		a.log.Warn("run state unreadable, starting afresh", "err", err)
	}
	if e, err = a.freshCredential(ctx, client, e); err != nil {
		if !isDeviceUnknown(err) {
			a.spoolOnFailure(ctx, req, run, e.Server, err)
			return nil, a.rejected(e, err)
		}
		// The service no longer knows this credential (a forked clone, a
		// deleted device): enroll again, once.
		if e, err = a.reenroll(ctx, e); err != nil {
			return nil, err
		}
	}
	p, err := a.prepare(ctx, req, run, e.Server, nil)
	if err != nil {
		return p.report(), err
	}
	// The service sets these whatever the agent says, and keeps a body
	// that says them already as it came, compressed by the agent.
	p.inv.DeviceID, p.inv.Tag = e.GLPIDeviceID, e.Tag
	body, err := p.inv.Encode()
	if err != nil {
		return nil, fmt.Errorf("encode inventory: %w", err)
	}
	p.progress(Event{Step: "send", Message: fmt.Sprintf("sending %s inventory (%d sections, %d bytes)", kind(p.rep.Partial), p.rep.Sections, len(body))})
	resp, err := client.SendInventoryOnce(ctx, e.Credential.AccessToken, body, p.key)
	if re, ok := errors.AsType[*enroll.RejectError](err); ok && (re.Reason == enroll.ReasonTokenExpired || re.Reason == enroll.ReasonTokenInvalid) {
		// The token lapsed (a clock jump, a long sleep): renew and retry once.
		e.Credential.AccessExpiresAt = time.Time{}
		if e, err = a.freshCredential(ctx, client, e); err == nil {
			resp, err = client.SendInventoryOnce(ctx, e.Credential.AccessToken, body, p.key)
		}
	}
	if isDeviceUnknown(err) {
		// The service has forgotten this device: enroll again, once.
		if e, err = a.reenroll(ctx, e); err == nil {
			p.inv.DeviceID, p.inv.Tag = e.GLPIDeviceID, e.Tag
			if body, err = p.inv.Encode(); err == nil {
				resp, err = client.SendInventoryOnce(ctx, e.Credential.AccessToken, body, p.key)
			}
		}
	}
	if err != nil {
		if retryable(err) {
			a.spool(p, e.Server)
		}
		return p.rep, a.rejected(e, err)
	}
	p.rep.Answer = fmt.Sprintf("accepted by the enrollment service (inventory %d)", resp.ID)
	a.reports.add(req.Actions, "sent", p.rep.Answer, resp.ID)
	a.remember(run, p, req, e.Server)
	p.rep.Elapsed = time.Since(start)
	p.progress(Event{Step: "done", Message: p.rep.Answer})
	return p.rep, nil
}

// serverPin is the pin of e's server: the one stored at enrollment, else
// (an enrollment made before pins were stored) the key bundle's, if any.
func (a *Agent) serverPin(e *Enrollment) string {
	if e.Pin != "" {
		return e.Pin
	}
	return a.bundlePin()
}

// bundlePin is the server pin carried by the key bundle, if any.
func (a *Agent) bundlePin() string {
	_, bundle, _ := a.registrationKey()
	_, pin := a.serverAndPin(bundle)
	return pin
}

// rejected records a device_revoked answer, so that the agent stops for
// good, and passes every error on.
func (a *Agent) rejected(e *Enrollment, err error) error {
	re, ok := errors.AsType[*enroll.RejectError](err)
	if !ok || re.Reason != enroll.ReasonDeviceRevoked {
		return err
	}
	e.Revoked, e.RevokedAt = true, time.Now().UTC()
	if serr := a.saveEnrollment(e); serr != nil {
		a.log.Warn("enrollment state not saved", "err", serr)
	}
	a.log.Error("device revoked by the enrollment service", "device_id", e.DeviceID)
	return ErrRevoked
}

// isKeyError reports an error that only an administrator can fix: a
// refused registration key or a revoked device. The daemon then retries
// after hours, not seconds.
func isKeyError(err error) bool {
	if errors.Is(err, ErrRevoked) {
		return true
	}
	re, ok := errors.AsType[*enroll.RejectError](err)
	if !ok {
		return false
	}
	switch re.Reason {
	case enroll.ReasonKeyInvalid, enroll.ReasonKeyExpired, enroll.ReasonKeyExhausted, enroll.ReasonKeyRevoked,
		enroll.ReasonNetworkNotAllowed, enroll.ReasonHostnameNotAllowed,
		enroll.ReasonCloneQuarantined, enroll.ReasonCloneRejected:
		return true
	}
	return false
}

func isDeviceUnknown(err error) bool {
	re, ok := errors.AsType[*enroll.RejectError](err)
	return ok && re.Reason == enroll.ReasonDeviceUnknown
}

// reenroll enrolls as a new device after the service said device_unknown.
// The whole identity goes: the credential and replace secret mean nothing
// to the service any more, and on a clone the service forked they, the
// install id and the GLPI deviceid belong to the original machine.
func (a *Agent) reenroll(ctx context.Context, old *Enrollment) (*Enrollment, error) {
	a.log.Warn("enrollment service does not know this device: enrolling again as a new device", "device_id", old.DeviceID)
	if err := a.forgetIdentity(); err != nil {
		return nil, err
	}
	return a.Enroll(ctx, true)
}
