package cli

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent"
	"github.com/glpi-agentd/glpi-agentd/agent/state"
	"github.com/glpi-agentd/glpi-agentd/enroll"
)

func cmdStatus(g *globals, args []string) error {
	fs := g.flags("status", "")
	asJSON := fs.Bool("json", false, "print as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, cfg, closeFn, err := g.setup()
	if err != nil {
		return err
	}
	defer closeFn()
	if err := g.applyKey(a, ""); err != nil {
		return err
	}
	// Where a run would send: the official agent's server when adopted
	// (not kept from here).
	adopted := a.AdoptOfficialSettings(false)
	// A reading command: it never creates the identity (an image's state
	// directory must stay empty until its clones boot).
	id, err := a.State().ReadIdentity()
	if err != nil {
		return err
	}
	if id == nil {
		id = &state.Identity{}
	}
	run, err := a.State().Run()
	if err != nil {
		return err
	}
	target := cfg.Server
	if cfg.Local != "" {
		target = "local: " + cfg.Local
	}
	if target == "" {
		target = run.Target // where the last run went
	}
	e, err := a.Enrollment()
	if err != nil {
		return err
	}
	image, keyed, keyServer := a.Pending()
	if target == "" && e == nil && keyed {
		target = keyServer
	}
	// Unknown values are left out of the JSON, never written as zero
	// times or empty strings.
	st := map[string]any{
		"target":    target,
		"state_dir": cfg.StateDir,
		"version":   agent.Version,
	}
	for k, v := range map[string]string{"deviceid": id.DeviceID, "agent_id": id.AgentID, "last_result": run.LastResult, "last_kind": run.LastKind} {
		if v != "" {
			st[k] = v
		}
	}
	for k, v := range map[string]time.Time{"last_run": run.LastRun, "next_run": run.NextRun} {
		if !v.IsZero() {
			st[k] = v
		}
	}
	if len(run.Failed) > 0 {
		st["failed_collectors"] = run.Failed
	}
	if adopted != nil {
		st["settings_from"] = adopted.From
	}
	if len(run.Carried) > 0 {
		st["carried_over"] = run.Carried
	}
	clientCert, certErr := a.ClientCertificate()
	switch {
	case certErr != nil:
		st["client_certificate"] = map[string]any{"file": cfg.SSLCertFile, "error": certErr.Error()}
	case clientCert != nil:
		st["client_certificate"] = map[string]any{"file": cfg.SSLCertFile, "subject": clientCert.Subject.String(), "not_after": clientCert.NotAfter}
	}
	switch {
	case e != nil:
		st["enrollment"] = map[string]any{
			"device_id": e.DeviceID, "server": e.Server, "tag": e.Tag, "enrolled_at": e.EnrolledAt,
			"token_expires_at": e.Credential.AccessExpiresAt, "revoked": e.Revoked,
		}
	case image && keyed:
		st["enrollment"] = map[string]any{"pending": "image_first_boot", "server": keyServer}
	case keyed:
		st["enrollment"] = map[string]any{"pending": "next_run", "server": keyServer}
	}
	var relay enroll.RelayStatus
	if err := state.ReadJSON(a.State().File(agent.RelayFile), &relay); err == nil && relay.Status != "" {
		st["relay"] = relay
	}
	pushed, err := agent.ReadPushedTrust(a.State())
	if err != nil {
		return err
	}
	trust := listenerTrust(cfg.Server, cfg.HTTPDTrust, pushed)
	if cfg.NoHTTPD {
		trust = nil
	} else {
		st["listener_trust"] = trust
	}
	if *asJSON {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, v) }
	row("Version", agent.Name+" "+agent.Version)
	row("Device ID", orNot(id.DeviceID))
	row("Agent ID", orNot(id.AgentID))
	row("Target", orNone(target))
	if adopted != nil {
		kept := "taken at the next run"
		if !adopted.AdoptedAt.IsZero() {
			kept = "kept since " + adopted.AdoptedAt.Local().Format("2006-01-02 15:04:05")
		}
		row("Settings", "the official agent's, from "+adopted.From+" ("+kept+")")
	}
	switch {
	case certErr != nil:
		row("Client certificate", "unusable: "+certErr.Error())
	case clientCert != nil && time.Now().After(clientCert.NotAfter):
		row("Client certificate", clientCert.Subject.String()+", expired on "+clientCert.NotAfter.Local().Format("2006-01-02")+": the server will refuse it")
	case clientCert != nil:
		row("Client certificate", clientCert.Subject.String()+", until "+clientCert.NotAfter.Local().Format("2006-01-02"))
	}
	row("State dir", cfg.StateDir)
	row("Last run", when(run.LastRun))
	row("Last result", orNone(run.LastResult))
	if run.LastAnswer != "" {
		row("Server said", run.LastAnswer)
	}
	for _, name := range slices.Sorted(maps.Keys(run.Failed)) {
		row("Collector failed", name+": "+run.Failed[name])
	}
	if len(run.Carried) > 0 {
		row("Carried over", strings.Join(run.Carried, ", ")+" (sent as the last good run collected them)")
	}
	row("Next run", nextRun(run.NextRun))
	switch {
	case e == nil && image && keyed:
		row("Enrollment", "prepared for an image: enrolls at the image's first boot")
	case e == nil && image:
		row("Enrollment", "prepared for an image (direct mode): makes its identity at the image's first boot")
	case e == nil && keyed:
		row("Enrollment", "not enrolled yet: a registration key is configured, the next run enrolls with "+orNone(keyServer))
	case e == nil:
		row("Enrollment", "not enrolled (direct mode)")
	case e.Revoked:
		row("Enrollment", "REVOKED by the enrollment service at "+e.RevokedAt.Local().Format("2006-01-02 15:04:05")+": nothing is sent")
	default:
		row("Enrollment", "device "+e.DeviceID+" on "+e.Server+" since "+e.EnrolledAt.Local().Format("2006-01-02 15:04:05"))
		row("Token expires", when(e.Credential.AccessExpiresAt))
		if relay.Status != "" {
			msg := relay.Status
			if relay.Message != "" {
				msg += ": " + relay.Message
			}
			row("Relay to GLPI", fmt.Sprintf("%s (inventory %d, %s)", msg, relay.InventoryID, when(relay.At)))
		}
	}
	if cfg.NoHTTPD {
		row("Inventory on request", "off (no_httpd): only \"glpi-agentd now\" starts one")
	}
	for i, t := range trust {
		k := ""
		if i == 0 {
			k = "Inventory on request"
		}
		fmt.Fprintf(tw, "%s\t%s (%s)\n", pad(k), t.Entry, t.Source)
	}
	return tw.Flush()
}

// trustEntry is a host the local listener lets ask for an inventory
// (/now), and where the agent got it from.
type trustEntry struct {
	Entry  string `json:"entry"`
	Source string `json:"source"`
}

// listenerTrust lists who may call the listener's /now: this host, the
// configured server's host, httpd_trust, and the hosts the enrollment
// service sent (its GLPI's).
func listenerTrust(server string, httpdTrust []string, pushed *agent.PushedTrust) []trustEntry {
	out := []trustEntry{{"127.0.0.1", "this host"}, {"::1", "this host"}}
	if u, err := url.Parse(server); err == nil && u.Hostname() != "" {
		out = append(out, trustEntry{u.Hostname(), "the configured server"})
	}
	for _, e := range httpdTrust {
		out = append(out, trustEntry{e, "httpd_trust"})
	}
	for _, e := range pushed.Entries {
		src := "the enrollment service " + pushed.Server
		if !pushed.At.IsZero() {
			src += ", since " + pushed.At.Local().Format("2006-01-02 15:04:05")
		}
		out = append(out, trustEntry{e, src})
	}
	return out
}

// pad makes a row label as row does.
func pad(k string) string {
	if k == "" {
		return ""
	}
	return k + ":"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Until(t).Round(time.Second)
	rel := fmt.Sprintf("in %s", d)
	switch {
	case d == 0:
		rel = "just now"
	case d < 0:
		rel = fmt.Sprintf("%s ago", -d)
	}
	return t.Local().Format("2006-01-02 15:04:05") + " (" + rel + ")"
}

// nextRun says when the daemon runs next: a time in the past is a run
// due, in progress or waiting for a daemon that is not running.
func nextRun(t time.Time) string {
	if !t.IsZero() && time.Until(t) < 0 {
		return "due since " + t.Local().Format("2006-01-02 15:04:05") + " (running now, or the daemon is stopped)"
	}
	return when(t)
}

func orNot(s string) string {
	if s == "" {
		return "not made yet (the first run makes it)"
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
