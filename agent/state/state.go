// Package state keeps what the agent must remember across runs: its
// identity towards GLPI, the schedule, the digests of the last inventory
// sent, and (through the enrollment code) its credentials. Every file is
// written atomically and readable by its owner only.
package state

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// WriteFileAtomic replaces name with data: a temporary file in the same
// directory, restricted to perm before anything is written, synced, then
// renamed over name, so a crash leaves either the old or the new content.
func WriteFileAtomic(name string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(perm); err != nil && !isUnsupported(err) {
		f.Close()
		return fmt.Errorf("write %q: %w", name, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %q: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	syncDir(dir)
	return nil
}

// WriteJSON writes v as indented JSON, atomically, owner-only.
func WriteJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %q: %w", name, err)
	}
	return WriteFileAtomic(name, append(b, '\n'), 0o600)
}

// ReadJSON reads name into v. A missing file leaves v as it is and returns
// an error wrapping os.ErrNotExist.
func ReadJSON(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read %q: %w", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("read %q: %w", name, err)
	}
	return nil
}

func isUnsupported(err error) bool { return errors.Is(err, errors.ErrUnsupported) }

// Dir is an agent state directory.
type Dir struct{ Path string }

// Open creates the state directory if needed (owner-only) and returns it.
func Open(path string) (*Dir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir %q: %w", path, err)
	}
	if err := restrictDir(path); err != nil {
		return nil, fmt.Errorf("create state dir %q: %w", path, err)
	}
	return &Dir{Path: path}, nil
}

// File returns the path of a file in the state directory.
func (d *Dir) File(name string) string { return filepath.Join(d.Path, name) }

// Identity is how GLPI knows this agent: the deviceid, which names the
// agent record, and the agent UUID sent as GLPI-Agent-ID.
type Identity struct {
	DeviceID  string    `json:"deviceid"`
	AgentID   string    `json:"agent_id"`
	CreatedAt time.Time `json:"created_at"`
}

const identityFile = "identity.json"

// Identity returns the stored identity, creating it once for hostname.
func (d *Dir) Identity(hostname string, now time.Time) (*Identity, error) {
	var id Identity
	err := ReadJSON(d.File(identityFile), &id)
	if err == nil && id.DeviceID != "" && ValidUUID(id.AgentID) {
		return &id, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	id = Identity{DeviceID: DeviceID(hostname, now), AgentID: NewUUID(), CreatedAt: now.UTC()}
	if err := WriteJSON(d.File(identityFile), &id); err != nil {
		return nil, err
	}
	return &id, nil
}

// ReadIdentity returns the stored identity without creating one: nil when
// there is none yet. Commands that only read use it, so that they never
// give an emptied state directory (an image's) an identity.
func (d *Dir) ReadIdentity() (*Identity, error) {
	var id Identity
	err := ReadJSON(d.File(identityFile), &id)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, nil
	case err != nil:
		return nil, err
	case id.DeviceID == "" || !ValidUUID(id.AgentID):
		return nil, nil
	}
	return &id, nil
}

// SetIdentity replaces the stored identity (enrollment assigns one).
func (d *Dir) SetIdentity(id *Identity) error { return WriteJSON(d.File(identityFile), id) }

// DeviceID builds a GLPI deviceid: <hostname>-YYYY-MM-DD-HH-MM-SS in local
// time, as the official agent does.
func DeviceID(hostname string, t time.Time) string {
	if hostname == "" {
		hostname = "unknown"
	}
	return hostname + t.Local().Format("-2006-01-02-15-04-05")
}

// NewUUID returns a random (version 4) UUID in lowercase canonical form.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// ValidUUID reports whether s is a lowercase canonical UUID.
func ValidUUID(s string) bool { return uuidRE.MatchString(strings.TrimSpace(s)) }

// Run is the schedule and outcome of runs, for the daemon and `status`.
type Run struct {
	// LastRun is when the last run ended, LastResult its outcome ("ok" or
	// the error), LastAnswer the server's message.
	LastRun    time.Time `json:"last_run,omitzero"`
	LastResult string    `json:"last_result,omitempty"`
	LastAnswer string    `json:"last_answer,omitempty"`
	// NextRun is when the next run is due.
	NextRun time.Time `json:"next_run,omitzero"`
	// MaxDelay is the server's delay between runs, in seconds.
	MaxDelay int64 `json:"max_delay,omitempty"`
	// Failures counts consecutive failed runs, for the backoff.
	Failures int `json:"failures,omitempty"`
	// Target is where runs go (server URL or local path).
	Target string `json:"target,omitempty"`
	// Sections holds the digest of each section last sent, for partial
	// inventories; SincePartial counts partial inventories since the last
	// full one.
	Sections     map[string]string `json:"sections,omitempty"`
	SincePartial int               `json:"since_partial,omitempty"`
	// LastKind is "full" or "partial".
	LastKind string `json:"last_kind,omitempty"`
	// Failed names the collectors that failed in the last run, with their
	// errors; Carried the sections then sent from an earlier run.
	Failed  map[string]string `json:"failed_collectors,omitempty"`
	Carried []string          `json:"carried_over,omitempty"`
}

const runFile = "run.json"

// Run returns the stored run state, empty when there is none.
func (d *Dir) Run() (*Run, error) {
	var r Run
	if err := ReadJSON(d.File(runFile), &r); err != nil && !errors.Is(err, os.ErrNotExist) {
		return &Run{}, err
	}
	return &r, nil
}

// SaveRun stores the run state.
func (d *Dir) SaveRun(r *Run) error { return WriteJSON(d.File(runFile), r) }
