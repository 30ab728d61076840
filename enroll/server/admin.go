package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

// OpenStore opens the state of glpi-enrolld and its server secret: SQLite
// in dataDir with the secret in dataDir/secret, or PostgreSQL at
// databaseURL with the secret in secretFile when given, else in the
// database so that replicas share it.
func OpenStore(ctx context.Context, dataDir, databaseURL, secretFile string) (store.Store, []byte, error) {
	var (
		st  store.Store
		err error
	)
	if databaseURL != "" {
		st, err = store.OpenPostgres(ctx, databaseURL)
	} else {
		if dataDir == "" {
			return nil, nil, errors.New("open store: --data-dir or --database is required")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("create data dir: %w", err)
		}
		st, err = store.OpenSQLite(ctx, dataDir)
		if secretFile == "" {
			secretFile = filepath.Join(dataDir, SecretFile)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	var secret []byte
	if secretFile != "" {
		secret, err = LoadSecretFile(secretFile)
	} else {
		secret, err = LoadSecretDB(ctx, st)
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, secret, nil
}

// Admin runs the administration commands against a store.
type Admin struct {
	Store  store.Store
	Secret []byte
	Out    io.Writer
	JSON   bool
	Now    func() time.Time
	// BundleURL, when set, makes KeyCreate give the key as a bundle for
	// that URL, with BundlePin (see BundleTarget).
	BundleURL, BundlePin string
}

func (a *Admin) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Admin) printJSON(v any) error {
	enc := json.NewEncoder(a.Out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (a *Admin) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(a.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = printable(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// KeyCreate creates a key and prints it once. With output set (see
// CreateSecretFile), the key goes to that file, which KeyCreate completes,
// instead of the output.
func (a *Admin) KeyCreate(ctx context.Context, opts KeyOptions, output *KeyFile) error {
	outputFile := ""
	if output != nil {
		outputFile = output.Name
	}
	k, rec, err := CreateKey(ctx, a.Store, a.Secret, opts, a.now())
	if err != nil {
		return err
	}
	detail := "tag " + rec.Tag + ", clone policy " + string(rec.ClonePolicy)
	if rec.Ephemeral > 0 {
		detail += ", ephemeral " + rec.Ephemeral.String()
	}
	if err := a.Store.AddEvent(ctx, store.Event{At: a.now(), Event: "key_created", KeyID: k.ID, Detail: detail}); err != nil {
		return err
	}
	secret := k.String()
	if a.BundleURL != "" {
		secret = enroll.Bundle{URL: a.BundleURL, Pin: a.BundlePin, Key: secret}.String()
	}
	if output != nil {
		if err := output.Commit(secret + "\n"); err != nil {
			return err
		}
		secret = ""
	}
	if a.JSON {
		out := struct {
			ID          string            `json:"id"`
			Key         string            `json:"key,omitempty"` // or the bundle
			KeyFile     string            `json:"key_file,omitempty"`
			Tag         string            `json:"tag"`
			ExpiresAt   time.Time         `json:"expires_at,omitzero"`
			MaxUses     int64             `json:"max_uses"`
			AllowCIDRs  []string          `json:"allow_cidrs,omitempty"`
			ClonePolicy store.ClonePolicy `json:"clone_policy"`
			Ephemeral   string            `json:"ephemeral,omitempty"`
		}{rec.ID, secret, outputFile, rec.Tag, rec.ExpiresAt, rec.MaxUses, rec.AllowCIDRs, rec.ClonePolicy, ephemeral(rec.Ephemeral)}
		return a.printJSON(out)
	}
	if secret != "" {
		what := "It is"
		if a.BundleURL != "" {
			what = "Its bundle for " + printable(a.BundleURL) + " (URL, pin and key: one string configures an agent) is"
		}
		fmt.Fprintf(a.Out, "Key %s created for tag %s. %s shown only once:\n\n  %s\n", rec.ID, printable(rec.Tag), what, secret)
		return nil
	}
	fmt.Fprintf(a.Out, "Key %s created for tag %s and written to %s\n", rec.ID, printable(rec.Tag), printable(outputFile))
	return nil
}

// KeyFile is a file being created for a secret, readable by its owner
// only: Commit writes the secret and completes it, Abort leaves the file
// system as it was.
type KeyFile struct {
	// Name is the file asked for.
	Name string
	f    *os.File
	tmp  string // with force, the temporary file Commit renames to Name
	done bool
}

// CreateSecretFile starts a new file for a secret. Without force, an
// existing name is refused and the file is created exclusively (O_EXCL:
// never through a symbolic link, never a file someone else made or can
// read). With force, the secret goes to a new temporary file in the same
// directory, renamed over name by Commit: a link at name is replaced, not
// followed. The caller creates it first, so that it belongs to the caller
// even when the command then runs as the data directory's owner.
func CreateSecretFile(name string, force bool) (*KeyFile, error) {
	sf := &KeyFile{Name: name}
	var err error
	if !force {
		sf.f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create key file %s: it exists; remove it or give --force to replace it", name)
		}
	} else {
		sf.f, err = os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
		if err == nil {
			sf.tmp = sf.f.Name()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create key file %s: %w", name, err)
	}
	if err := sf.f.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		sf.Abort()
		return nil, fmt.Errorf("create key file %s: %w", name, err)
	}
	return sf, nil
}

// Commit writes secret to the file, syncs and closes it, and with force
// renames it into place.
func (sf *KeyFile) Commit(secret string) error {
	_, werr := sf.f.WriteString(secret)
	err := errors.Join(werr, sf.f.Sync(), sf.f.Close())
	if err == nil && sf.tmp != "" {
		err = os.Rename(sf.tmp, sf.Name)
	}
	if err != nil {
		sf.Abort()
		return fmt.Errorf("write key file %s: %w", sf.Name, err)
	}
	sf.done = true
	return nil
}

// Abort removes what CreateSecretFile created, unless Commit completed.
func (sf *KeyFile) Abort() {
	if sf.done {
		return
	}
	sf.done = true
	sf.f.Close()
	if sf.tmp != "" {
		os.Remove(sf.tmp)
	} else {
		os.Remove(sf.Name)
	}
}

// KeyList prints every key with its state.
func (a *Admin) KeyList(ctx context.Context) error {
	keys, err := a.Store.Keys(ctx)
	if err != nil {
		return err
	}
	now := a.now()
	if a.JSON {
		type row struct {
			store.Key
			State store.KeyState `json:"state"`
		}
		out := make([]row, len(keys))
		for i, k := range keys {
			out[i] = row{k, k.State(now)}
		}
		return a.printJSON(out)
	}
	rows := make([][]string, len(keys))
	for i, k := range keys {
		maxUses := "∞"
		if k.MaxUses > 0 {
			maxUses = fmt.Sprint(k.MaxUses)
		}
		rows[i] = []string{k.ID, k.Tag, fmt.Sprintf("%d/%s", k.Uses, maxUses), when(k.ExpiresAt), string(k.State(now)),
			string(k.ClonePolicy), dash(ephemeral(k.Ephemeral)), dash(strings.Join(k.AllowCIDRs, ",")), dash(k.HostnamePattern), k.Description}
	}
	return a.table("ID\tTAG\tUSES\tEXPIRES\tSTATE\tCLONES\tEPHEMERAL\tNETWORKS\tHOSTNAMES\tDESCRIPTION", rows)
}

// KeyRevoke revokes a key; devices already enrolled with it stay enrolled.
func (a *Admin) KeyRevoke(ctx context.Context, id string) error {
	if err := a.Store.RevokeKey(ctx, id, a.now()); err != nil {
		return err
	}
	if err := a.Store.AddEvent(ctx, store.Event{At: a.now(), Event: "key_revoked", KeyID: id}); err != nil {
		return err
	}
	fmt.Fprintf(a.Out, "Key %s revoked\n", printable(id))
	return nil
}

// DeviceList prints every device.
func (a *Admin) DeviceList(ctx context.Context) error {
	devs, err := a.Store.Devices(ctx)
	if err != nil {
		return err
	}
	if a.JSON {
		type row struct {
			store.Device
			State string `json:"state"`
		}
		out := make([]row, len(devs))
		for i, d := range devs {
			out[i] = row{d, d.State()}
		}
		return a.printJSON(out)
	}
	rows := make([][]string, len(devs))
	for i, d := range devs {
		state := d.State()
		if state == store.StateCloneSuspected {
			state = "⚠ " + state
		}
		relay := d.RelayStatus
		if relay == "" {
			relay = "-"
		}
		rows[i] = []string{d.ID, d.Hostname, d.Tag, d.KeyID, when(d.LastSeenAt), state, relay}
	}
	return a.table("ID\tHOSTNAME\tTAG\tKEY\tLAST SEEN\tSTATE\tRELAY", rows)
}

// DeviceShow prints one device: identity, fingerprint, key, inventory
// summary and GLPI relay status.
func (a *Admin) DeviceShow(ctx context.Context, id string) error {
	d, err := a.Store.Device(ctx, id)
	if err != nil {
		return err
	}
	inv, err := a.Store.Inventory(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hist, err := a.Store.History(ctx, id)
	if err != nil {
		return err
	}
	clones, err := a.Store.Clones(ctx, id)
	if err != nil {
		return err
	}
	actions, err := a.Store.DeviceActions(ctx, id, 10)
	if err != nil {
		return err
	}
	if a.JSON {
		out := struct {
			*store.Device
			State     string               `json:"state"`
			Inventory *inventorySummary    `json:"inventory,omitempty"`
			History   []store.HistoryEntry `json:"history"`
			Clones    []store.Clone        `json:"clones"`
			Requests  []store.Action       `json:"requests"`
		}{d, d.State(), summarize(inv), hist, orEmpty(clones), orEmpty(actions)}
		return a.printJSON(out)
	}
	w, p := a.Out, printable
	fmt.Fprintf(w, "Device        %s\nHostname      %s\nGLPI deviceid %s\nAgent id      %s\n", p(d.ID), p(d.Hostname), p(d.GLPIDeviceID), p(d.AgentID))
	fmt.Fprintf(w, "Platform      %s/%s, agent %s\nTag           %s (key %s)\n", p(d.OS), p(d.Arch), p(d.AgentVersion), p(d.Tag), p(d.KeyID))
	fmt.Fprintf(w, "Enrolled      %s from %s\nLast seen     %s\nGeneration    %d\n", when(d.CreatedAt), p(d.SourceIP), when(d.LastSeenAt), d.Generation)
	fmt.Fprintf(w, "State         %s\n", p(d.State()))
	if !d.RevokedAt.IsZero() {
		fmt.Fprintf(w, "Revoked       %s\n", when(d.RevokedAt))
	}
	if !d.RetiredAt.IsZero() {
		fmt.Fprintf(w, "Retired       %s %s\n", when(d.RetiredAt), p(d.SupersededBy))
	}
	fp := d.Fingerprint
	fmt.Fprintf(w, "Fingerprint   machine %s, smbios %s, serial %s, %d MACs\n",
		p(short(fp.MachineID)), p(short(fp.SMBIOSUUID)), p(short(fp.Serial)), len(fp.MACs))
	if d.RelayStatus != "" {
		fmt.Fprintf(w, "GLPI relay    %s at %s %s\n", p(d.RelayStatus), when(d.RelayAt), p(d.RelayMessage))
	}
	a.printClones(clones)
	a.printRequests(actions)
	s := summarize(inv)
	if s == nil {
		fmt.Fprintln(w, "Inventory     none yet")
		return nil
	}
	fmt.Fprintf(w, "Inventory     %s, %d bytes, %d received in history\n\n", when(s.ReceivedAt), s.Size, len(hist))
	rows := make([][]string, len(s.Sections))
	for i, sec := range s.Sections {
		rows[i] = []string{sec.Name, fmt.Sprint(sec.Items)}
	}
	return a.table("SECTION\tITEMS", rows)
}

// short abbreviates a hashed identifier for display.
func short(s string) string {
	if s == "" {
		return "-"
	}
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

type inventorySummary struct {
	ReceivedAt time.Time        `json:"received_at"`
	Size       int64            `json:"size"`
	Sections   []sectionSummary `json:"sections"`
}

type sectionSummary struct {
	Name  string `json:"name"`
	Items int    `json:"items"`
}

func summarize(inv *store.Inventory) *inventorySummary {
	if inv == nil {
		return nil
	}
	s := &inventorySummary{ReceivedAt: inv.ReceivedAt, Size: inv.Size}
	for name, sec := range inv.Sections {
		s.Sections = append(s.Sections, sectionSummary{name, sec.Items})
	}
	slices.SortFunc(s.Sections, func(a, b sectionSummary) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// DeviceRevoke revokes a device: its refreshes and inventories are refused
// with device_revoked from then on.
func (a *Admin) DeviceRevoke(ctx context.Context, id string) error {
	if err := a.Store.RevokeDevice(ctx, id, a.now()); err != nil {
		return err
	}
	if err := a.Store.AddEvent(ctx, store.Event{At: a.now(), Event: "device_revoked", DeviceID: id}); err != nil {
		return err
	}
	fmt.Fprintf(a.Out, "Device %s revoked\n", printable(id))
	return nil
}

// Audit prints the audit events of the last since.
func (a *Admin) Audit(ctx context.Context, since time.Duration) error {
	evs, err := a.Store.Events(ctx, a.now().Add(-since))
	if err != nil {
		return err
	}
	if a.JSON {
		if evs == nil {
			evs = []store.Event{}
		}
		return a.printJSON(evs)
	}
	rows := make([][]string, len(evs))
	for i, ev := range evs {
		detail := ev.Detail
		if ev.Occurrences > 1 {
			detail = strings.TrimSuffix(fmt.Sprintf("%d times within %v; %s", ev.Occurrences, auditWindow, detail), "; ")
		}
		rows[i] = []string{ev.At.Local().Format(time.DateTime), ev.Event, dash(ev.KeyID), dash(ev.DeviceID), dash(ev.SourceIP), dash(ev.Reason), detail}
	}
	return a.table("TIME\tEVENT\tKEY\tDEVICE\tSOURCE\tREASON\tDETAIL", rows)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
