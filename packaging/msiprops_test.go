package packaging_test

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/glpi-agentd/glpi-agentd/agent/config"
)

// msiProps plays the part of Windows Installer that decides the public
// properties, from the package's own tables: AppSearch reads the values of
// the existing install (RegLocator), then the property-setting custom
// actions (type 51) sequenced after it run in order when their condition
// holds. It knows the condition forms the package uses and fails on any
// other, so a change to the package cannot silently escape the test.
type msiProps struct {
	search  map[string]string // property -> registry value name under SOFTWARE\glpi-agentd
	actions []msiSetProperty  // in sequence order
	props   map[string]string // the Property table
}

type msiSetProperty struct {
	name, property, value, condition string
}

func loadMSIProps(t *testing.T, msi string) *msiProps {
	t.Helper()
	m := &msiProps{search: map[string]string{}, props: map[string]string{}}
	for _, r := range msiTable(t, msi, "Property") {
		m.props[r[0]] = r[1]
	}
	locators := map[string][]string{}
	for _, r := range msiTable(t, msi, "RegLocator") {
		locators[r[0]] = r // Signature_, Root, Key, Name, Type
	}
	for _, r := range msiTable(t, msi, "AppSearch") {
		loc, ok := locators[r[1]]
		if !ok {
			t.Fatalf("AppSearch %s: no RegLocator %s", r[0], r[1])
		}
		// Root 2 is HKLM; type 18 is a raw value (2) read in the 64-bit view (16).
		if loc[1] != "2" || loc[2] != `SOFTWARE\glpi-agentd` || loc[4] != "18" {
			t.Errorf("RegLocator %q: want a raw 64-bit value under HKLM\\SOFTWARE\\glpi-agentd", loc)
		}
		m.search[r[0]] = loc[3]
	}
	cas := map[string][]string{}
	for _, r := range msiTable(t, msi, "CustomAction") {
		cas[r[0]] = r // Action, Type, Source, Target
	}
	for _, seqTable := range []string{"InstallExecuteSequence", "InstallUISequence"} {
		type step struct {
			seq int
			a   msiSetProperty
		}
		var steps []step
		appSearch, costing := -1, -1
		for _, r := range msiTable(t, msi, seqTable) {
			n, err := strconv.Atoi(r[2])
			if err != nil {
				t.Fatalf("%s %s: sequence %q", seqTable, r[0], r[2])
			}
			switch r[0] {
			case "AppSearch":
				appSearch = n
			case "CostInitialize":
				costing = n
			}
			ca, ok := cas[r[0]]
			if !ok {
				continue
			}
			// Type 51 sets a property; 2048 hides its value from the log.
			typ, _ := strconv.Atoi(ca[1])
			if typ&0x3f != 51 {
				t.Errorf("custom action %s has type %d, want 51 (set a property)", r[0], typ)
			}
			steps = append(steps, step{n, msiSetProperty{r[0], ca[2], ca[3], r[1]}})
		}
		slices.SortFunc(steps, func(a, b step) int { return a.seq - b.seq })
		var actions []msiSetProperty
		for _, s := range steps {
			// Between reading the install back and using the properties.
			if s.seq <= appSearch || s.seq >= costing {
				t.Errorf("%s: %s at %d, want it between AppSearch (%d) and CostInitialize (%d)",
					seqTable, s.a.name, s.seq, appSearch, costing)
			}
			actions = append(actions, s.a)
		}
		if m.actions == nil {
			m.actions = actions
		} else if !slices.Equal(m.actions, actions) {
			t.Errorf("InstallUISequence decides the properties unlike InstallExecuteSequence")
		}
	}
	return m
}

// resolve returns the public properties an install ends with, given the
// msiexec command line and the registry values of the existing install.
func (m *msiProps) resolve(t *testing.T, cmdline, installed map[string]string) map[string]string {
	t.Helper()
	p := maps.Clone(m.props)
	maps.Copy(p, cmdline)
	for prop, value := range m.search {
		if v := installed[value]; v != "" {
			p[prop] = v
		}
	}
	for _, a := range m.actions {
		ok, err := evalCondition(a.condition, p)
		if err != nil {
			t.Fatalf("custom action %s: %v", a.name, err)
		}
		if ok {
			p[a.property] = formatted(a.value, p)
		}
	}
	return p
}

// evalCondition evaluates the conditions the package uses: terms joined
// by AND, each PROP (set and not empty), NOT PROP, or PROP<>"literal".
func evalCondition(cond string, p map[string]string) (bool, error) {
	if strings.TrimSpace(cond) == "" {
		return true, nil
	}
	for term := range strings.SplitSeq(cond, " AND ") {
		term = strings.TrimSpace(term)
		var ok bool
		switch name, lit, cut := strings.Cut(term, "<>"); {
		case cut:
			s, err := strconv.Unquote(lit)
			if err != nil || !isProperty(name) {
				return false, fmt.Errorf("condition %q: unknown term %q", cond, term)
			}
			ok = p[name] != s
		case strings.HasPrefix(term, "NOT ") && isProperty(term[4:]):
			ok = p[term[4:]] == ""
		case isProperty(term):
			ok = p[term] != ""
		default:
			return false, fmt.Errorf("condition %q: unknown term %q", cond, term)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func isProperty(s string) bool {
	return s != "" && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == ""
}

// formatted expands the [PROPERTY] references of a Formatted value.
func formatted(v string, p map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(v, '[')
		j := strings.IndexByte(v, ']')
		if i < 0 || j < i {
			b.WriteString(v)
			return b.String()
		}
		b.WriteString(v[:i])
		b.WriteString(p[v[i+1:j]])
		v = v[j+1:]
	}
}

// msiPublicProperties are the properties the package decides and writes:
// every one the agent reads as configuration, RUNNOW and REGISTRATIONKEY.
func msiPublicProperties() []string {
	return append(config.RegistryProperties(), "RUNNOW", "REGISTRATIONKEY")
}

// checkMSIProps checks how the package decides its settings: the command
// line first, then what the package embeds, then the install it upgrades
// or repairs, unless CONFIG=reset; RUNNOW is never carried over.
func checkMSIProps(t *testing.T, msi string, e embed) {
	m := loadMSIProps(t, msi)
	installed := map[string]string{
		"SERVER": "https://old.example/", "TAG": "old-site", "PROXY": "http://proxy:3128",
		"HTTPD_TRUST": "10.0.0.0/8", "DELAY_ENROLL": "1", "RUNNOW": "1", "REGISTRATIONKEY": "glpik_old",
	}
	// or returns a if set, else b.
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	type msiCase struct {
		name               string
		cmdline, installed map[string]string
		want               map[string]string
	}
	cases := []msiCase{
		{"fresh install", nil, nil,
			map[string]string{"SERVER": e.server, "TAG": e.tag, "REGISTRATIONKEY": e.key}},
		{"fresh install with properties", map[string]string{"SERVER": "https://cli.example/", "TAG": "cli", "RUNNOW": "1"}, nil,
			map[string]string{"SERVER": "https://cli.example/", "TAG": "cli", "RUNNOW": "1", "REGISTRATIONKEY": e.key}},
		{"upgrade without properties", nil, installed,
			map[string]string{"SERVER": or(e.server, installed["SERVER"]), "TAG": or(e.tag, installed["TAG"]),
				"PROXY": installed["PROXY"], "HTTPD_TRUST": installed["HTTPD_TRUST"], "DELAY_ENROLL": "1",
				"REGISTRATIONKEY": or(e.key, installed["REGISTRATIONKEY"])}},
		{"upgrade with a property", map[string]string{"TAG": "cli"}, installed,
			map[string]string{"SERVER": or(e.server, installed["SERVER"]), "TAG": "cli",
				"PROXY": installed["PROXY"], "HTTPD_TRUST": installed["HTTPD_TRUST"], "DELAY_ENROLL": "1",
				"REGISTRATIONKEY": or(e.key, installed["REGISTRATIONKEY"])}},
		{"upgrade with CONFIG=reset", map[string]string{"CONFIG": "reset", "PROXY": "http://new:3128"}, installed,
			map[string]string{"SERVER": e.server, "TAG": e.tag, "PROXY": "http://new:3128", "REGISTRATIONKEY": e.key}},
	}
	// Every setting the agent reads, the official agent's MSI properties
	// among them: an upgrade keeps each, the command line replaces each,
	// CONFIG=reset drops each.
	public := msiPublicProperties()
	embedded := map[string]string{"SERVER": e.server, "TAG": e.tag, "REGISTRATIONKEY": e.key}
	every, kept, given := map[string]string{}, map[string]string{}, map[string]string{}
	for _, p := range public {
		every[p] = "old-" + p
		kept[p] = or(embedded[p], every[p])
		given[p] = "new-" + p
	}
	kept["RUNNOW"] = ""
	cases = append(cases,
		msiCase{"upgrade keeps every setting", nil, every, kept},
		msiCase{"upgrade with every property given", given, every, given},
		msiCase{"CONFIG=reset drops every setting", map[string]string{"CONFIG": "reset"}, every, embedded})
	for _, c := range cases {
		p := m.resolve(t, c.cmdline, c.installed)
		for _, name := range public {
			if p[name] != c.want[name] {
				t.Errorf("%s: %s = %q, want %q", c.name, name, p[name], c.want[name])
			}
		}
	}
}
