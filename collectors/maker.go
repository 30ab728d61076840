package collectors

import "strings"

// officialMakerWords and officialMakerPrefixes are the makers the official
// agent recognises in a name (GLPI::Agent::Tools'
// getCanonicalManufacturer): a word anywhere, capitalised ("Samsung",
// "Toshiba", "Intel", "Lg"), else a prefix.
var (
	officialMakerWords    = lazyRE(`(?i)(\blg\b|broadcom|compaq|dell|fujitsu|hitachi|ibm|intel|matshita|maxtor|nvidia|\bnec\b|pioneer|samsung|sony|supermicro|toshiba|transcend)`)
	officialMakerPrefixes = []struct {
		re   *lazyRegexp
		name string
	}{
		{lazyRE(`(?i)^APPLE`), "Apple"},
		{lazyRE(`^(hp|HPE?|(?i)hewlett[ -]packard)`), "Hewlett-Packard"},
		{lazyRE(`^(HD|IC|HU|HGST)`), "Hitachi"},
		{lazyRE(`^(ST|(?i)seagate)`), "Seagate"},
		{lazyRE(`(?i)^OPTIARC`), "Sony"},
		{lazyRE(`^(WDC?|(?i)western)`), "Western Digital"},
	}
)

// officialMaker returns the maker the official agent recognises in a name
// (getCanonicalManufacturer), or "" when it recognises none. Where that
// function keeps an unrecognised name as written, callers do the same
// (canonicalMaker); a Linux disk's model names no maker it does not
// recognise.
func officialMaker(model string) string {
	if m := officialMakerWords.FindStringSubmatch(model); m != nil {
		w := strings.ToLower(m[1])
		return strings.ToUpper(w[:1]) + w[1:]
	}
	for _, p := range officialMakerPrefixes {
		if p.re.MatchString(model) {
			return p.name
		}
	}
	return ""
}

// canonicalMaker returns a maker as the official agent names it
// (getCanonicalManufacturer): the canonical name of a maker it recognises
// ("Samsung" for "Samsung SDI", "Hewlett-Packard" for "HP", "Dell" for
// "DELL"), else the name as written.
func canonicalMaker(s string) string {
	s = strings.TrimSpace(s)
	if m := officialMaker(s); m != "" {
		return m
	}
	return s
}
