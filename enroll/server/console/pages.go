package console

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/server"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
)

const pageSize = 50

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func (c *Console) parseTemplates() error {
	funcs := template.FuncMap{
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"ago": func(t time.Time) string { return ago(c.now(), t) },
		"bytes": func(n int64) string {
			switch {
			case n >= 1<<20:
				return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
			case n >= 1<<10:
				return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
			}
			return fmt.Sprintf("%d B", n)
		},
		"join":  strings.Join,
		"list":  func(v ...any) []any { return v },
		"short": func(s string) string { return shortHash(s) },
		"dash": func(s string) string {
			if s == "" {
				return "—"
			}
			return s
		},
		"uses": func(k store.Key) string {
			if k.MaxUses == 0 {
				return fmt.Sprintf("%d / ∞", k.Uses)
			}
			return fmt.Sprintf("%d / %d", k.Uses, k.MaxUses)
		},
		"state":    func(d store.Device) string { return c.deviceState(&d) },
		"keystate": func(k store.Key) string { return string(k.State(c.now())) },
		"label":    func(s string) string { return strings.ReplaceAll(s, "_", " ") },
		"relay":    relayText,
	}
	pages, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "base" {
			continue
		}
		t, err := template.New("base.html").Funcs(funcs).ParseFS(assets, "templates/base.html", p)
		if err != nil {
			return fmt.Errorf("parse console template %s: %w", p, err)
		}
		c.pages[name] = t
	}
	return nil
}

// relayText says what an inventory's relay state means.
func relayText(status string) string {
	switch status {
	case store.RelayOK:
		return "accepted"
	case store.RelayNone:
		return "not relayed (no GLPI configured)"
	case store.RelayQueued:
		return "waiting to be sent"
	case store.RelayRetrying:
		return "retrying"
	case store.RelayRejected:
		return "rejected"
	case store.RelaySuperseded:
		return "superseded by a newer full inventory"
	case store.RelayDropped:
		return "dropped (too many waiting)"
	}
	return status
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	if d := now.Sub(t); d >= time.Minute {
		return span(d) + " ago"
	}
	return "just now"
}

// span writes a duration in the largest unit that fits.
func span(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}

func shortHash(s string) string {
	if s == "" {
		return "—"
	}
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// deviceState is a device's state for the console: silent when live but
// not seen for SilentAfter.
func (c *Console) deviceState(d *store.Device) string {
	st := d.State()
	if st == store.StateActive && c.now().Sub(d.LastSeenAt) > c.cfg.SilentAfter {
		return store.StateSilent
	}
	return st
}

// render writes a page; data is reachable as .Data, the account as .S.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page string, data any) {
	t, ok := c.pages[page]
	if !ok {
		http.Error(w, "no template "+page, http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	err := t.Execute(&buf, map[string]any{"S": s, "Page": page, "Data": data, "Path": r.URL.Path})
	if err != nil {
		c.log.Error("render console page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail shows an error page (or a JSON error to scripts).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/ui/actions/") {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	c.render(w, r, s, status, "error", map[string]any{"Status": status, "Message": msg})
}

func (c *Console) unavailable(w http.ResponseWriter, r *http.Request, s *session, what string, err error) {
	c.log.Error("console "+what, "err", err)
	c.fail(w, r, s, http.StatusServiceUnavailable, "The database is unavailable; try again.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// deviceQuery reads the device filters of a request.
func (c *Console) deviceQuery(r *http.Request) (store.DeviceQuery, int, error) {
	v := r.URL.Query()
	q := store.DeviceQuery{Text: strings.TrimSpace(v.Get("q")), Tag: strings.TrimSpace(v.Get("tag")),
		KeyID: strings.TrimSpace(v.Get("key")), State: v.Get("state"), SilentBefore: c.now().Add(-c.cfg.SilentAfter), Limit: pageSize}
	switch q.State {
	case "", store.StateActive, store.StateSilent, store.StateCloneSuspected, store.StateRetired, store.StateRevoked:
	default:
		return q, 0, fmt.Errorf("unknown state %q", q.State)
	}
	switch v.Get("seen") {
	case "":
	case "1d":
		q.SeenAfter = c.now().Add(-24 * time.Hour)
	case "7d":
		q.SeenAfter = c.now().Add(-7 * 24 * time.Hour)
	case "gt7d":
		q.SeenBefore = c.now().Add(-7 * 24 * time.Hour)
	case "gt30d":
		q.SeenBefore = c.now().Add(-30 * 24 * time.Hour)
	default:
		return q, 0, fmt.Errorf("unknown last-seen filter %q", v.Get("seen"))
	}
	page, _ := strconv.Atoi(v.Get("page"))
	page = max(page, 1)
	q.Offset = (page - 1) * pageSize
	return q, page, nil
}

func (c *Console) handleDevices(w http.ResponseWriter, r *http.Request, s *session) {
	q, page, err := c.deviceQuery(r)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err.Error())
		return
	}
	devs, total, err := c.st.SearchDevices(r.Context(), q)
	if err != nil {
		c.unavailable(w, r, s, "list devices", err)
		return
	}
	pages := int((total + pageSize - 1) / pageSize)
	link := func(p int) string {
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		return "/ui/devices?" + v.Encode()
	}
	data := map[string]any{"Devices": devs, "Total": total, "Page": page, "Pages": max(pages, 1), "Q": r.URL.Query(),
		"States": []string{store.StateActive, store.StateSilent, store.StateCloneSuspected, store.StateRetired, store.StateRevoked}}
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
	c.render(w, r, s, http.StatusOK, "devices", data)
}

func (c *Console) handleDevice(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	d, err := c.st.Device(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, s, http.StatusNotFound, "No such device.")
		return
	}
	if err != nil {
		c.unavailable(w, r, s, "read device", err)
		return
	}
	hist, err := c.st.History(ctx, id)
	if err != nil {
		c.unavailable(w, r, s, "read history", err)
		return
	}
	clones, err := c.st.Clones(ctx, id)
	if err != nil {
		c.unavailable(w, r, s, "read clones", err)
		return
	}
	actions, err := c.st.DeviceActions(ctx, id, 10)
	if err != nil {
		c.unavailable(w, r, s, "read requests", err)
		return
	}
	events, err := c.st.SearchEvents(ctx, store.EventQuery{DeviceID: id, Limit: 50})
	if err != nil {
		c.unavailable(w, r, s, "read audit", err)
		return
	}
	var sections []string
	if inv, err := c.st.Inventory(ctx, id); err == nil {
		for name := range inv.Sections {
			sections = append(sections, name)
		}
		slices.Sort(sections)
	}
	pending := 0
	for _, cl := range clones {
		if cl.State == store.ClonePending {
			pending++
		}
	}
	c.render(w, r, s, http.StatusOK, "device", map[string]any{"D": d, "State": c.deviceState(d), "History": hist,
		"Clones": clones, "Pending": pending, "Actions": actionViews(actions), "Events": events, "Sections": sections,
		"Watch": r.URL.Query().Get("action")})
}

// actionView is an action as the console shows it and its script reads.
type actionView struct {
	ID       string     `json:"id"`
	What     string     `json:"what"`
	State    string     `json:"state"`
	Done     bool       `json:"done"`
	Failed   bool       `json:"failed"`
	Created  time.Time  `json:"created_at"`
	Steps    []stepView `json:"steps"`
	Message  string     `json:"message,omitempty"`
	DeviceID string     `json:"device_id"`
}

type stepView struct {
	State string  `json:"state"`
	After float64 `json:"after"` // seconds since the request
	Text  string  `json:"text"`
}

func actionViews(as []store.Action) []actionView {
	out := make([]actionView, len(as))
	for i := range as {
		out[i] = newActionView(&as[i])
	}
	return out
}

func newActionView(a *store.Action) actionView {
	v := actionView{ID: a.ID, State: a.State, Done: a.Done(), Failed: a.State == enroll.ActionFailed, Created: a.CreatedAt,
		Message: a.Message, DeviceID: a.DeviceID, What: "full inventory"}
	if !a.Full {
		v.What = "inventory of " + strings.Join(a.Categories, ", ")
	}
	for _, ev := range a.History {
		v.Steps = append(v.Steps, stepView{State: ev.State, After: ev.At.Sub(a.CreatedAt).Seconds(), Text: server.StepText(ev)})
	}
	return v
}

func (c *Console) handleRunNow(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	var cats []string
	if r.PostFormValue("scope") == "categories" {
		for f := range strings.FieldsFuncSeq(r.PostFormValue("categories"), func(r rune) bool { return r == ',' || r == ' ' }) {
			cats = append(cats, strings.ToLower(f))
		}
		if len(cats) == 0 {
			c.fail(w, r, s, http.StatusBadRequest, "Name at least one category, or ask for a full inventory.")
			return
		}
	}
	a, err := server.QueueRunNow(ctx, c.st, id, cats, c.now())
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.fail(w, r, s, http.StatusNotFound, "No live device "+id+".")
		return
	case errors.Is(err, server.ErrCategories):
		c.fail(w, r, s, http.StatusBadRequest, err.Error())
		return
	case err != nil:
		c.unavailable(w, r, s, "queue inventory", err)
		return
	}
	if c.cfg.Notify != nil {
		c.cfg.Notify(id)
	}
	c.audit(ctx, r, s, store.Event{Event: "run_now_queued", DeviceID: id, Detail: "action " + a.ID + " (console)"})
	http.Redirect(w, r, "/ui/devices/"+url.PathEscape(id)+"?action="+url.QueryEscape(a.ID)+"#requests", http.StatusSeeOther)
}

func (c *Console) handleAction(w http.ResponseWriter, r *http.Request, s *session) {
	a, err := c.st.Action(r.Context(), r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such request"})
	case err != nil:
		c.log.Error("console read action", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database unavailable"})
	default:
		writeJSON(w, http.StatusOK, newActionView(a))
	}
}

func (c *Console) confirm(w http.ResponseWriter, r *http.Request, s *session, title, text, action, button string) {
	c.render(w, r, s, http.StatusOK, "confirm", map[string]any{"Title": title, "Text": text, "Action": action, "Button": button,
		"Back": r.Referer()})
}

func (c *Console) handleDeviceRevokeConfirm(w http.ResponseWriter, r *http.Request, s *session) {
	d, err := c.st.Device(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, s, http.StatusNotFound, "No such device.")
		return
	}
	c.confirm(w, r, s, "Revoke device "+d.Hostname,
		"The device's credential stops working at once: its inventories and renewals are refused. It keeps its GLPI record. This cannot be undone; the machine can enroll again with a valid key.",
		"/ui/devices/"+url.PathEscape(d.ID)+"/revoke", "Revoke device")
}

func (c *Console) handleDeviceRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	if err := c.st.RevokeDevice(ctx, id, c.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.fail(w, r, s, http.StatusNotFound, "No such device.")
			return
		}
		c.unavailable(w, r, s, "revoke device", err)
		return
	}
	c.audit(ctx, r, s, store.Event{Event: "device_revoked", DeviceID: id, Detail: "console"})
	http.Redirect(w, r, "/ui/devices/"+url.PathEscape(id), http.StatusSeeOther)
}

func (c *Console) handleDeviceApprove(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	n, err := c.st.ApproveClones(ctx, id, c.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.fail(w, r, s, http.StatusNotFound, "No such device.")
			return
		}
		c.unavailable(w, r, s, "approve clones", err)
		return
	}
	c.audit(ctx, r, s, store.Event{Event: "clones_approved", DeviceID: id, Detail: fmt.Sprintf("%d pending (console)", n)})
	http.Redirect(w, r, "/ui/devices/"+url.PathEscape(id), http.StatusSeeOther)
}

// cloneDecisions maps the console's clone buttons to the state each sets.
var cloneDecisions = map[string]string{
	"approve":    store.CloneApproved,
	"fork":       store.CloneForked,
	"quarantine": store.ClonePending,
	"reject":     store.CloneRejected,
}

// handleCloneDecision decides on one clone of a device: approve (the
// newcomer enrolls as a new device, or an inventory stating other hardware
// is accepted), fork (the newcomer is told to enroll again as a new
// device), quarantine (held until decided again) or reject (refused for
// good).
func (c *Console) handleCloneDecision(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	cloneID, err := strconv.ParseInt(r.PathValue("clone"), 10, 64)
	if err != nil || cloneID <= 0 {
		c.fail(w, r, s, http.StatusNotFound, "No such clone alert.")
		return
	}
	decision := r.PostFormValue("decision")
	state, ok := cloneDecisions[decision]
	if !ok {
		c.fail(w, r, s, http.StatusBadRequest, "Choose approve, fork, quarantine or reject.")
		return
	}
	if decision == "fork" {
		clones, err := c.st.Clones(ctx, id)
		if err != nil {
			c.unavailable(w, r, s, "read clones", err)
			return
		}
		for _, cl := range clones {
			if cl.ID == cloneID && cl.Via == "identity" {
				c.fail(w, r, s, http.StatusBadRequest, "An inventory stating another machine's hardware comes with the device's own credential: there is nothing to fork. Approve or reject it.")
				return
			}
		}
	}
	cl, err := c.st.DecideClone(ctx, id, cloneID, state, c.now())
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.fail(w, r, s, http.StatusNotFound, "No such clone alert.")
			return
		}
		c.unavailable(w, r, s, "decide clone", err)
		return
	}
	c.audit(ctx, r, s, store.Event{Event: "clone_decided", KeyID: cl.KeyID, DeviceID: id, Reason: decision,
		Detail: fmt.Sprintf("clone %d (%s) now %s (console)", cl.ID, cl.Via, cl.State)})
	http.Redirect(w, r, "/ui/devices/"+url.PathEscape(id)+"#clones-h", http.StatusSeeOther)
}

func (c *Console) keysData(r *http.Request) (map[string]any, error) {
	keys, err := c.st.Keys(r.Context())
	if err != nil {
		return nil, err
	}
	return map[string]any{"Keys": keys, "BundleURL": c.cfg.BundleURL, "Bundles": c.cfg.Bundle != nil,
		"Form": map[string]string{"expires": "30d", "clone_policy": "fork", "ephemeral": "0", "max_uses": "0"}}, nil
}

func (c *Console) handleKeys(w http.ResponseWriter, r *http.Request, s *session) {
	data, err := c.keysData(r)
	if err != nil {
		c.unavailable(w, r, s, "list keys", err)
		return
	}
	c.render(w, r, s, http.StatusOK, "keys", data)
}

func (c *Console) handleKeyCreate(w http.ResponseWriter, r *http.Request, s *session) {
	ctx := r.Context()
	form := map[string]string{}
	for _, f := range []string{"tag", "description", "expires", "max_uses", "allow_cidrs", "hostname_pattern", "clone_policy", "ephemeral", "bundle_url"} {
		form[f] = strings.TrimSpace(r.PostFormValue(f))
	}
	opts := server.KeyOptions{Tag: form["tag"], Description: form["description"], HostnamePattern: form["hostname_pattern"],
		ClonePolicy: store.ClonePolicy(form["clone_policy"])}
	var problems []string
	var err error
	if opts.TTL, err = parseDuration(form["expires"]); err != nil {
		problems = append(problems, "Expires: "+err.Error())
	}
	if opts.Ephemeral, err = parseDuration(form["ephemeral"]); err != nil {
		problems = append(problems, "Ephemeral: "+err.Error())
	}
	if form["max_uses"] != "" {
		if opts.MaxUses, err = strconv.ParseInt(form["max_uses"], 10, 64); err != nil || opts.MaxUses < 0 {
			problems = append(problems, "Maximum uses: want a whole number, 0 for unlimited")
		}
	}
	for f := range strings.FieldsFuncSeq(form["allow_cidrs"], func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		opts.AllowCIDRs = append(opts.AllowCIDRs, f)
	}
	var bundleURL, pin string
	if form["bundle_url"] != "" {
		if c.cfg.Bundle == nil {
			problems = append(problems, "Bundles are not available here")
		} else if bundleURL, pin, err = c.cfg.Bundle(form["bundle_url"]); err != nil {
			problems = append(problems, "Bundle URL: "+err.Error())
		}
	}
	var (
		k   enroll.Key
		rec *store.Key
	)
	if len(problems) == 0 {
		k, rec, err = server.CreateKey(ctx, c.st, c.cfg.Secret, opts, c.now())
		if err != nil {
			problems = append(problems, strings.TrimPrefix(err.Error(), "create key: "))
		}
	}
	data, derr := c.keysData(r)
	if derr != nil {
		c.unavailable(w, r, s, "list keys", derr)
		return
	}
	if len(problems) > 0 {
		data["Form"], data["Problems"] = form, problems
		c.render(w, r, s, http.StatusBadRequest, "keys", data)
		return
	}
	detail := "tag " + rec.Tag + ", clone policy " + string(rec.ClonePolicy) + " (console)"
	c.audit(ctx, r, s, store.Event{Event: "key_created", KeyID: rec.ID, Detail: detail})
	data["Created"] = rec
	data["Secret"] = k.String()
	if bundleURL != "" {
		data["Bundle"] = enroll.Bundle{URL: bundleURL, Pin: pin, Key: k.String()}.String()
	}
	c.render(w, r, s, http.StatusOK, "keys", data)
}

func (c *Console) handleKeyRevokeConfirm(w http.ResponseWriter, r *http.Request, s *session) {
	k, err := c.st.Key(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, s, http.StatusNotFound, "No such key.")
		return
	}
	c.confirm(w, r, s, "Revoke key "+k.ID+" ("+k.Tag+")",
		"No device can enroll with this key any more. Devices already enrolled with it stay enrolled. This cannot be undone.",
		"/ui/keys/"+url.PathEscape(k.ID)+"/revoke", "Revoke key")
}

func (c *Console) handleKeyRevoke(w http.ResponseWriter, r *http.Request, s *session) {
	ctx, id := r.Context(), r.PathValue("id")
	if err := c.st.RevokeKey(ctx, id, c.now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			c.fail(w, r, s, http.StatusNotFound, "No such key.")
			return
		}
		c.unavailable(w, r, s, "revoke key", err)
		return
	}
	c.audit(ctx, r, s, store.Event{Event: "key_revoked", KeyID: id, Detail: "console"})
	http.Redirect(w, r, "/ui/keys", http.StatusSeeOther)
}

// parseDuration parses a Go duration, a number of days such as "30d", or 0.
func parseDuration(s string) (time.Duration, error) {
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: want e.g. 12h or 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 12h or 30d", s)
	}
	return d, nil
}

// eventQuery reads the audit filters of a request.
func (c *Console) eventQuery(r *http.Request) (store.EventQuery, error) {
	v := r.URL.Query()
	q := store.EventQuery{Event: strings.TrimSpace(v.Get("event")), Reason: strings.TrimSpace(v.Get("reason")),
		KeyID: strings.TrimSpace(v.Get("key")), DeviceID: strings.TrimSpace(v.Get("device")), Actor: strings.TrimSpace(v.Get("account"))}
	parse := func(name string) (time.Time, error) {
		s := strings.TrimSpace(v.Get(name))
		if s == "" {
			return time.Time{}, nil
		}
		for _, layout := range []string{"2006-01-02T15:04", time.RFC3339, time.DateOnly} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("%s: %q is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC)", name, s)
	}
	var err error
	if q.Since, err = parse("from"); err != nil {
		return q, err
	}
	if q.Until, err = parse("to"); err != nil {
		return q, err
	}
	if q.Since.IsZero() && v.Get("from") == "" && v.Get("all") == "" {
		q.Since = c.now().Add(-7 * 24 * time.Hour)
	}
	return q, nil
}

func (c *Console) handleAudit(w http.ResponseWriter, r *http.Request, s *session) {
	q, err := c.eventQuery(r)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err.Error())
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	q.Limit, q.Offset = pageSize+1, (page-1)*pageSize
	evs, err := c.st.SearchEvents(r.Context(), q)
	if err != nil {
		c.unavailable(w, r, s, "read audit", err)
		return
	}
	data := map[string]any{"Events": evs[:min(len(evs), pageSize)], "Q": r.URL.Query(), "Page": page, "Since": q.Since}
	v := r.URL.Query()
	v.Del("page")
	data["CSV"] = "/ui/audit.csv?" + v.Encode()
	if len(evs) > pageSize {
		v.Set("page", strconv.Itoa(page+1))
		data["Next"] = "/ui/audit?" + v.Encode()
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page-1))
		data["Prev"] = "/ui/audit?" + v.Encode()
	}
	c.render(w, r, s, http.StatusOK, "audit", data)
}

// csvCell neutralises a cell a spreadsheet would take for a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *Console) handleAuditCSV(w http.ResponseWriter, r *http.Request, s *session) {
	q, err := c.eventQuery(r)
	if err != nil {
		c.fail(w, r, s, http.StatusBadRequest, err.Error())
		return
	}
	q.Limit = 1_000_000
	evs, err := c.st.SearchEvents(r.Context(), q)
	if err != nil {
		c.unavailable(w, r, s, "read audit", err)
		return
	}
	c.audit(r.Context(), r, s, store.Event{Event: "audit_exported", Detail: fmt.Sprintf("%d events", len(evs))})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="glpi-enrolld-audit.csv"`)
	cw := csv.NewWriter(w)
	cw.Write([]string{"time", "event", "account", "key", "device", "source", "reason", "occurrences", "detail"})
	for _, ev := range evs {
		cw.Write([]string{ev.At.UTC().Format(time.RFC3339), csvCell(ev.Event), csvCell(ev.Actor), csvCell(ev.KeyID), csvCell(ev.DeviceID),
			csvCell(ev.SourceIP), csvCell(ev.Reason), strconv.FormatInt(ev.Occurrences, 10), csvCell(ev.Detail)})
	}
	cw.Flush()
}
