package collectors

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
)

// userKept keeps what a collector read in users' hives from one run to
// the next. A user's hive holds their own software and WSL distributions,
// and Windows loads it only while they are logged on (or a service holds
// their profile): an inventory taken at boot, or at night, would leave out
// what is installed for a user alone (OneDrive, Teams, Zoom, a WSL
// distribution), and GLPI drops what an inventory does not list, to add it
// back at the next one (a new virtual machine record each time). So what is
// read while a hive is loaded is kept in the cache directory, one file per
// user (dir/<SID>.json), and sent from there while it is not. A profile
// removed from the machine takes its file with it. The cache is the
// agent's own (the state directory's permissions): failing to write it
// costs the next runs the kept values, not this one.
type userKept[T any] struct {
	dir string // "" keeps nothing
	env *Env
}

// The caches of users' software and WSL distributions, under
// Options.CacheDir.
const (
	userSoftwareCache = "windows-user-software"
	userWSLCache      = "windows-user-wsl"
)

// profileSID matches the SID of a local or domain user's profile, and only
// that: it names a file of the cache.
var profileSID = lazyRE(`^S-1-5-21(-[0-9]+){1,8}$`)

// openUserKept opens the cache named name under Options.CacheDir.
func openUserKept[T any](env *Env, name string) userKept[T] {
	k := userKept[T]{env: env}
	if env.Options.CacheDir != "" {
		k.dir = filepath.Join(env.Options.CacheDir, name)
	}
	return k
}

// load returns what was kept of the user sid.
func (k userKept[T]) load(sid string) (T, bool) {
	var v T
	if k.dir == "" || !profileSID.MatchString(sid) {
		return v, false
	}
	b, err := os.ReadFile(filepath.Join(k.dir, sid+".json"))
	if err != nil {
		return v, false
	}
	if err := json.Unmarshal(b, &v); err != nil {
		k.env.Log().Debug("kept user data unreadable", "file", filepath.Join(k.dir, sid+".json"), "err", err)
		return v, false
	}
	return v, true
}

// save keeps v for the user sid.
func (k userKept[T]) save(sid string, v T) {
	if k.dir == "" || !profileSID.MatchString(sid) {
		return
	}
	err := os.MkdirAll(k.dir, 0o700)
	var b []byte
	if err == nil {
		b, err = json.Marshal(v)
	}
	if err == nil {
		err = state.WriteFileAtomic(filepath.Join(k.dir, sid+".json"), b, 0o600)
	}
	if err != nil {
		k.env.Log().Debug("keep user data", "dir", k.dir, "sid", sid, "err", err)
	}
}

// prune forgets the users without a profile.
func (k userKept[T]) prune(profiles map[string]string) {
	if k.dir == "" {
		return
	}
	entries, _ := os.ReadDir(k.dir)
	for _, e := range entries {
		sid, ok := strings.CutSuffix(e.Name(), ".json")
		if _, profile := profiles[sid]; ok && !profile {
			os.Remove(filepath.Join(k.dir, e.Name()))
		}
	}
}

// userSoftware is the software of users' hives (see userKept): read for
// the hives loaded, kept for the others, by SID and registry view.
type userSoftware struct {
	kept     userKept[[][]Software]
	profiles map[string]string // user name by SID
	views    int
	loaded   map[string]bool         // hives loaded now
	fresh    map[string][][]Software // read in this run
	failed   map[string]bool         // loaded, but not read
	old      map[string][][]Software // the last runs'
}

// openUserSoftware reads what the last runs kept of the profiles of
// users, views registry views each.
func openUserSoftware(env *Env, profiles map[string]string, hives []string, views int) *userSoftware {
	u := &userSoftware{
		kept:     openUserKept[[][]Software](env, userSoftwareCache),
		profiles: profiles, views: views,
		loaded: map[string]bool{}, fresh: map[string][][]Software{},
		failed: map[string]bool{}, old: map[string][][]Software{},
	}
	for _, sid := range hives {
		u.loaded[sid] = true
	}
	for sid := range profiles {
		if v, ok := u.kept.load(sid); ok && len(v) == views {
			u.old[sid] = v
		}
	}
	return u
}

// read records the entries of a loaded hive in view.
func (u *userSoftware) read(sid string, view int, list []Software) {
	if u.fresh[sid] == nil {
		u.fresh[sid] = make([][]Software, u.views)
	}
	u.fresh[sid][view] = list
}

// fail records a loaded hive whose Uninstall key could not be read.
func (u *userSoftware) fail(sid string) { u.failed[sid] = true }

// cached returns the kept entries of view for the users whose hive is not
// loaded, or could not be read, in SID order, named as their profile is
// now.
func (u *userSoftware) cached(view int) []Software {
	sids := make([]string, 0, len(u.old))
	for sid := range u.old {
		if !u.loaded[sid] || u.failed[sid] {
			sids = append(sids, sid)
		}
	}
	slices.Sort(sids)
	var out []Software
	for _, sid := range sids {
		for _, s := range u.old[sid][view] {
			s.UserID, s.UserName = sidRID(sid), u.profiles[sid]
			out = append(out, s)
		}
	}
	return out
}

// save keeps the entries read in this run, and forgets the profiles gone.
func (u *userSoftware) save() {
	for sid, views := range u.fresh {
		if !u.failed[sid] {
			u.kept.save(sid, views)
		}
	}
	u.kept.prune(u.profiles)
}
