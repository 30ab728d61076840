package collectors

// The corpus tests run the Windows collectors on real captures of real
// machines (WMI dumps and regedit exports) and the EDID decoder on real
// monitors' dumps, and compare what they make with what the official GLPI
// agent makes of the same captures, field by field. The captures and the
// official results are reference data kept outside the repository
// (../shared/corpus beside the module root, or $GLPI_CORPUS); see
// docs/compatibility.md for every deliberate difference.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/glpi/schematest"
)

// corpusDir returns the corpus directory. Without it the test is skipped
// with a message, and fails under CI, where the corpus is always there.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("GLPI_CORPUS")
	if dir == "" {
		root, err := filepath.Abs("..")
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus of real captures missing under CI: %v (set GLPI_CORPUS)", err)
		}
		t.Skipf("corpus of real captures not available, skipping: %v (set GLPI_CORPUS)", err)
	}
	return dir
}

// corpusCategory is one category of the official agent's expectations:
// where they are in expected.json, which of our collectors makes it, the
// GLPI section (for the official agent's JSON conversion) and the fields
// that pair entries.
type corpusCategory struct {
	name      string
	sources   []string
	collector string // a winCollectors name, or "edid"
	section   string
	keys      []string
	single    bool // one entry per case: pair what is left whatever it holds
	// floor is the share of the official fields we must match: what the
	// collectors reach today, so that no change makes it worse. Every field
	// below 1 is a difference docs/compatibility.md explains.
	floor float64
}

const winT = "t/tasks/inventory/windows/"

var corpusCategories = []corpusCategory{
	{"cpu", []string{winT + "cpu.t:%tests"}, "cpu", "CPUS", []string{"name", "id"}, false, 0.91},
	{"memory", []string{winT + "memory.t:%tests"}, "memory", "MEMORIES", []string{"caption", "numslots"}, false, 0.66},
	{"drives", []string{winT + "drives.t:%tests"}, "drive", "DRIVES", []string{"letter", "volumn"}, false, 1},
	{"storages", []string{winT + "storages.t:%tests"}, "storage", "STORAGES", []string{"name", "serial", "model"}, false, 1},
	{"video", []string{winT + "video.t:%tests"}, "video", "VIDEOS", []string{"name"}, false, 1},
	{"usb", []string{winT + "usb.t:%tests"}, "usb", "USBDEVICES", []string{"vendorid", "productid", "serial"}, false, 1},
	{"bios", []string{winT + "bios.t:%tests"}, "bios", "BIOS", nil, true, 1},
	{"users", []string{winT + "users.t:%tests"}, "user", "USERS", []string{"login"}, true, 1},
	{"license", []string{winT + "license.t:%tests", winT + "license.t:%licensing_tests"}, "licenseinfo", "LICENSEINFOS", []string{"name", "productid"}, false, 0.90},
	{"firewall", []string{winT + "firewall.t:%expectedProfilesForInventory"}, "firewall", "FIREWALLS", []string{"profile", "description", "ipaddress", "ipaddress6"}, false, 1},
	{"softwares", []string{winT + "softwares.t:%softwares_tests", winT + "softwares.t:%hotfixes_tests"}, "software", "SOFTWARES", []string{"name", "version"}, false, 1},
	{"networks", []string{"t/agent/tools/win32.t:%tests"}, "network", "NETWORKS", []string{"description", "ipaddress", "ipaddress6", "mac"}, false, 1},
	{"edid", []string{"t/tasks/inventory/generic/screen.t:%edid_tests"}, "edid", "MONITORS", nil, true, 1},
}

// corpusUnreachable reports an official expectation that the official
// agent itself never sends, or that the captures cannot give; each is in
// docs/compatibility.md:
//   - the AppX packages the official agent reads with PowerShell, whose
//     output the corpus does not hold;
//   - a software entry repeating another's name, version and architecture:
//     the official test checks the raw registry list, but the official agent
//     drops such repeats before sending (its _addSoftware's seen list), as
//     we do.
func corpusUnreachable(category string, e map[string]any, i int, all []map[string]any) bool {
	if category != "softwares" {
		return false
	}
	if e["from"] == "uwp" {
		return true
	}
	for j, o := range all {
		if j != i && fmt.Sprint(o["name"], o["version"], o["arch"]) == fmt.Sprint(e["name"], e["version"], e["arch"]) {
			return true
		}
	}
	return false
}

// corpusArtefact reports an official value that comes from the official
// test's own registry loader, not from the agent: it cuts a value of the
// export at its first escaped quote, keeping the escape's backslash, so a
// command line written in quotes comes out as a lone backslash, where the
// official agent sends the whole command line, as we do.
func corpusArtefact(category, field string, e, g any) bool {
	es, _ := e.(string)
	gs, _ := g.(string)
	before, _, quoted := strings.Cut(gs, `"`)
	return category == "softwares" && field == "uninstall_string" && quoted && es == before+`\`
}

func TestCorpusParity(t *testing.T) {
	dir := corpusDir(t)
	var expected map[string]map[string]any
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	got := corpusRun(t, dir)

	var total corpusStats
	for _, cat := range corpusCategories {
		t.Run(cat.name, func(t *testing.T) {
			cases := map[string][]map[string]any{}
			for _, src := range cat.sources {
				for c, v := range expected[src] {
					switch v := v.(type) {
					case []any:
						for _, e := range v {
							if m, ok := e.(map[string]any); ok {
								cases[c] = append(cases[c], m)
							}
						}
					case map[string]any:
						cases[c] = append(cases[c], v)
					}
				}
			}
			var st corpusStats
			for _, c := range slices.Sorted(maps.Keys(cases)) {
				exps := make([]map[string]any, len(cases[c]))
				for i, e := range cases[c] {
					exps[i] = officialJSON(e, cat.section)
				}
				gots, ok := got[cat.collector][c]
				if !ok && cat.collector != "edid" {
					t.Errorf("%s: no such case among the captures", c)
					continue
				}
				st.compare(t, cat, c, exps, gots)
			}
			rate := st.rate()
			t.Logf("%-9s %3d entries, %3d missing (%d unreachable), %3d extra, %5d/%5d fields equal (%.1f%%, %d loader artefacts)",
				cat.name, st.paired, st.missing, st.unreachable, st.extra, st.equal, st.fields, 100*rate, st.artefacts)
			if rate < cat.floor {
				t.Errorf("%s: %.1f%% of the official agent's fields equal, below the floor of %.1f%%", cat.name, 100*rate, 100*cat.floor)
			}
			total.add(st)
		})
	}
	t.Logf("total: %d/%d fields equal (%.1f%%), %d unreachable entries", total.equal, total.fields, 100*total.rate(), total.unreachable)
	if total.rate() < 0.95 {
		t.Errorf("%.1f%% of the official agent's fields equal in all, below 95%%", 100*total.rate())
	}
}

// corpusRun runs every Windows collector on each case and the EDID decoder
// on each dump, and returns what GLPI would receive, as generic JSON, by
// collector and case. Every case's inventory must validate against the
// schema, and no collector may fail or panic on a real capture.
func corpusRun(t *testing.T, dir string) map[string]map[string][]map[string]any {
	out := map[string]map[string][]map[string]any{}
	put := func(collector, c string, v any) {
		if out[collector] == nil {
			out[collector] = map[string][]map[string]any{}
		}
		out[collector][c] = asEntries(t, v)
	}
	cases, err := os.ReadDir(filepath.Join(dir, "windows"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range cases {
		if !e.IsDir() {
			continue
		}
		h, err := winFixture(filepath.Join(dir, "windows", e.Name()))
		if err != nil {
			t.Errorf("case %s: %v", e.Name(), err)
			continue
		}
		env := winEnv(h)
		content := map[string]any{"versionclient": "test"}
		for _, c := range windowsCollectors() {
			v, err := func() (v any, err error) {
				defer func() {
					if p := recover(); p != nil {
						err = fmt.Errorf("panic: %v", p)
					}
				}()
				return c.Collect(t.Context(), env)
			}()
			switch {
			case errors.Is(err, ErrNoData):
				put(c.Name, e.Name(), nil)
				continue
			case err != nil:
				t.Errorf("case %s: collector %s: %v", e.Name(), c.Name, err)
				continue
			}
			put(c.Name, e.Name(), v)
			if count(v) > 0 {
				content[c.Key] = v
			}
		}
		if _, ok := content["hardware"]; !ok {
			content["hardware"] = &Hardware{Name: "corpus"}
		}
		t.Run("schema/"+e.Name(), func(t *testing.T) {
			schematest.Validate(t, map[string]any{"action": "inventory", "deviceid": "corpus-2024-01-01-00-00-00",
				"itemtype": "Computer", "content": content})
		})
	}
	dumps, err := os.ReadDir(filepath.Join(dir, "edid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range dumps {
		b, err := os.ReadFile(filepath.Join(dir, "edid", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		info, err := parseEDID(b)
		if err != nil {
			t.Errorf("EDID %s: %v", e.Name(), err)
			continue
		}
		put("edid", e.Name(), monitorFromEDID(info))
	}
	return out
}

// asEntries turns a section into the entries GLPI receives, keys in lower
// case.
func asEntries(t *testing.T, v any) []map[string]any {
	if v == nil || count(v) == 0 {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(b, &list); err != nil {
		var one map[string]any
		if err := json.Unmarshal(b, &one); err != nil {
			t.Fatal(err)
		}
		list = []map[string]any{one}
	}
	for i, m := range list {
		l := make(map[string]any, len(m))
		for k, x := range m {
			l[strings.ToLower(k)] = x
		}
		list[i] = l
	}
	return list
}

// The official agent's conversion of its values to GLPI JSON
// (Protocol/Inventory.pm's normalisation; Win32/Networks.pm drops dns,
// DNSDomain and GUID): key renames, numbers, booleans and dates.
var (
	officialRename = map[string]map[string]string{
		"SOFTWARES": {"INSTALLDATE": "INSTALL_DATE"}, "STORAGES": {"SERIALNUMBER": "SERIAL"}, "NETWORKS": {"MACADDR": "MAC"},
	}
	officialDrop = map[string][]string{
		"LICENSEINFOS": {"OEM"}, "VIDEOS": {"PCIID"}, "NETWORKS": {"dns", "DNSDomain", "GUID"},
	}
	officialNorm = map[string]map[string][]string{
		"BIOS":         {"dateordatetime": {"BDATE"}},
		"CPUS":         {"integer": {"CORE", "CORECOUNT", "EXTERNAL_CLOCK", "SPEED", "STEPPING", "THREAD"}, "string": {"MODEL", "FAMILYNUMBER"}},
		"DRIVES":       {"boolean": {"SYSTEMDRIVE"}, "integer": {"FREE", "TOTAL"}},
		"MEMORIES":     {"integer": {"CAPACITY", "NUMSLOTS"}, "boolean": {"REMOVABLE"}},
		"MONITORS":     {"string": {"DESCRIPTION", "SERIAL", "ALTSERIAL"}},
		"NETWORKS":     {"boolean": {"MANAGEMENT", "VIRTUALDEV"}, "integer": {"MTU"}, "lowercase": {"STATUS"}, "string": {"SPEED"}},
		"SOFTWARES":    {"boolean": {"NO_REMOVE"}, "dateordatetime": {"INSTALL_DATE"}, "integer": {"FILESIZE"}, "string": {"VERSION_MAJOR", "VERSION_MINOR"}},
		"STORAGES":     {"integer": {"DISKSIZE"}, "uppercase": {"INTERFACE"}},
		"VIDEOS":       {"integer": {"MEMORY"}},
		"LICENSEINFOS": {"boolean": {"TRIAL"}},
	}
	officialDateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}:[0-9]{2}.*)?$`)
	mdyRE          = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})$`)
	digitsRE       = regexp.MustCompile(`^\d+$`)
	numberRE       = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// officialJSON is an expected entry as the official agent sends it, keys in
// lower case; a nil value means the official agent has it undefined.
func officialJSON(entry map[string]any, section string) map[string]any {
	e := map[string]any{}
	for k, v := range entry {
		if !strings.HasPrefix(k, "_") && !slices.Contains(officialDrop[section], k) {
			e[k] = v
		}
	}
	for from, to := range officialRename[section] {
		if v, ok := e[from]; ok {
			delete(e, from)
			e[to] = v
		}
	}
	for norm, keys := range officialNorm[section] {
		for _, k := range keys {
			v, ok := e[k]
			if !ok || v == nil {
				continue
			}
			s := fmt.Sprint(v)
			switch norm {
			case "integer":
				if digitsRE.MatchString(s) {
					n, _ := strconv.Atoi(s)
					e[k] = float64(n)
				} else {
					delete(e, k)
				}
			case "string":
				e[k] = s
			case "boolean":
				b, isBool := v.(bool)
				e[k] = isBool && b || !isBool && s != "0" && s != "" && s != "false"
			case "lowercase":
				e[k] = strings.ToLower(s)
			case "uppercase":
				e[k] = strings.ToUpper(s)
			case "dateordatetime":
				if officialDateRE.MatchString(s) {
					continue
				}
				m := mdyRE.FindStringSubmatch(s)
				if m == nil {
					delete(e, k)
					continue
				}
				mo, d := m[1], m[2]
				if k != "BDATE" { // BDATE is month/day, the others day/month
					mo, d = d, mo
				}
				if n, _ := strconv.Atoi(mo); n > 12 {
					mo, d = d, mo
				}
				e[k] = m[3] + "-" + mo + "-" + d
			}
		}
	}
	out := make(map[string]any, len(e))
	for k, v := range e {
		out[strings.ToLower(k)] = v
	}
	return out
}

func isEmptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(v) == ""
	case []any:
		return len(v) == 0
	}
	return false
}

func isZeroValue(v any) bool {
	switch v := v.(type) {
	case bool:
		return !v
	case float64:
		return v == 0
	case string:
		s := strings.TrimSpace(v)
		return s == "0" || s == ""
	}
	return false
}

// normScalar forgives only what does not change the value GLPI stores:
// numbers as numbers or numeric strings, booleans as 0/1, surrounding
// spaces.
func normScalar(v any) string {
	switch v := v.(type) {
	case bool:
		if v {
			return "1"
		}
		return "0"
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	s := strings.TrimSpace(fmt.Sprint(v))
	if numberRE.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && !math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return s
}

func sameValue(e, g any) bool {
	el, eok := e.([]any)
	gl, gok := g.([]any)
	if eok || gok {
		if !eok {
			el = []any{e}
		}
		if !gok {
			gl = []any{g}
		}
		return slices.EqualFunc(el, gl, func(a, b any) bool { return normScalar(a) == normScalar(b) })
	}
	_, em := e.(map[string]any)
	_, gm := g.(map[string]any)
	if em || gm {
		a, _ := json.Marshal(e)
		b, _ := json.Marshal(g)
		return string(a) == string(b)
	}
	return normScalar(e) == normScalar(g)
}

// corpusStats counts one category's comparison.
type corpusStats struct {
	fields, equal, paired, missing, unreachable, extra, artefacts int
}

func (s *corpusStats) add(o corpusStats) {
	s.fields += o.fields
	s.equal += o.equal
	s.paired += o.paired
	s.missing += o.missing
	s.unreachable += o.unreachable
	s.extra += o.extra
	s.artefacts += o.artefacts
}

func (s corpusStats) rate() float64 {
	if s.fields == 0 {
		return 1
	}
	return float64(s.equal) / float64(s.fields)
}

// compare pairs the expected and produced entries of one case and counts
// their fields. Official entries with no counterpart fail the test unless
// the captures cannot give them.
func (s *corpusStats) compare(t *testing.T, cat corpusCategory, c string, exps, gots []map[string]any) {
	t.Helper()
	pairs, missE, extraG := pairEntries(exps, gots, cat.keys)
	if cat.single {
		for len(missE) > 0 && len(extraG) > 0 {
			pairs = append(pairs, [2]int{missE[0], extraG[0]})
			missE, extraG = missE[1:], extraG[1:]
		}
	}
	for _, p := range pairs {
		e, g := exps[p[0]], gots[p[1]]
		s.paired++
		for k, ev := range e {
			if ev == nil {
				continue
			}
			s.fields++
			gv, present := g[k]
			switch {
			case isEmptyValue(gv) && !isEmptyValue(ev):
				if !present && isZeroValue(ev) {
					s.equal++ // Go omits a zero value; GLPI reads it as one
				}
			case isEmptyValue(gv) && isEmptyValue(ev), sameValue(ev, gv):
				s.equal++
			case corpusArtefact(cat.name, k, ev, gv):
				s.equal++
				s.artefacts++
			}
		}
	}
	for _, i := range missE {
		e := exps[i]
		if corpusUnreachable(cat.name, e, i, exps) {
			s.unreachable++
			continue
		}
		s.missing++
		for _, v := range e {
			if v != nil {
				s.fields++
			}
		}
		t.Errorf("%s: the official agent reports an entry we do not: %s", c, corpusLabel(e, cat.keys))
	}
	s.extra += len(extraG)
}

// pairEntries pairs expected and produced entries greedily, best match
// first; a key field counts ten others.
func pairEntries(exps, gots []map[string]any, keys []string) (pairs [][2]int, missE, extraG []int) {
	type cand struct{ score, i, j int }
	var cands []cand
	for i, e := range exps {
		for j, g := range gots {
			sc := 0
			for k, ev := range e {
				if gv, ok := g[k]; ev != nil && ok && sameValue(ev, gv) {
					if slices.Contains(keys, k) {
						sc += 10
					} else {
						sc++
					}
				}
			}
			if sc > 0 {
				cands = append(cands, cand{sc, i, j})
			}
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].score != cands[b].score {
			return cands[a].score > cands[b].score
		}
		if cands[a].i != cands[b].i {
			return cands[a].i > cands[b].i
		}
		return cands[a].j > cands[b].j
	})
	usedE, usedG := map[int]bool{}, map[int]bool{}
	for _, c := range cands {
		if !usedE[c.i] && !usedG[c.j] {
			usedE[c.i], usedG[c.j] = true, true
			pairs = append(pairs, [2]int{c.i, c.j})
		}
	}
	for i := range exps {
		if !usedE[i] {
			missE = append(missE, i)
		}
	}
	for j := range gots {
		if !usedG[j] {
			extraG = append(extraG, j)
		}
	}
	return pairs, missE, extraG
}

func corpusLabel(e map[string]any, keys []string) string {
	for _, k := range append(slices.Clone(keys), "name", "description", "caption") {
		if !isEmptyValue(e[k]) {
			return fmt.Sprintf("%s=%v", k, e[k])
		}
	}
	return "?"
}
