package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
)

// Sections a partial inventory always carries, so that GLPI's import rules
// can still find the computer (GLPI-PROTOCOL.md §1.6).
var alwaysSent = []string{"hardware", "bios", "operatingsystem"}

// Sections that describe the sender, not the host: never compared.
var selfSections = []string{"versionclient", "versionprovider"}

// digests returns the SHA-256 of each section's JSON. A section already
// encoded (json.RawMessage, as json.Marshal wrote it) is hashed as it is.
func digests(content map[string]any) map[string]string {
	out := make(map[string]string, len(content))
	for k, v := range content {
		if slices.Contains(selfSections, k) {
			continue
		}
		b, ok := v.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(v); err != nil {
				continue
			}
		}
		sum := sha256.Sum256(b)
		out[k] = hex.EncodeToString(sum[:16])
	}
	return out
}

// plan decides what to send: the whole content (a full inventory), or the
// sections that changed since prev plus those GLPI needs to match the
// computer (a partial one). A full inventory is sent when asked, when there
// is nothing to compare with, every postpone+1 runs, and whenever a section
// has vanished, since only a full inventory makes GLPI forget it. Never when
// a section failed with no earlier value to send (lost): a full inventory
// without it would make GLPI delete what it has. A partial inventory also
// carries the required sections, changed or not (required_category).
func plan(content map[string]any, cur, prev map[string]string, sincePartial, postpone int, full bool, lost, required []string) (send map[string]any, partial bool) {
	if len(lost) == 0 {
		if full || len(prev) == 0 || postpone <= 0 || sincePartial >= postpone {
			return content, false
		}
		for k := range prev {
			if _, ok := cur[k]; !ok {
				return content, false
			}
		}
	}
	send = make(map[string]any, len(content))
	for k, v := range content {
		if prev[k] != cur[k] || slices.Contains(alwaysSent, k) || slices.Contains(selfSections, k) || slices.Contains(required, k) {
			send[k] = v
		}
	}
	return send, true
}

// changed lists the sections whose digest differs between two runs.
func changed(cur, prev map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(cur)) {
		if prev[k] != cur[k] {
			out = append(out, k)
		}
	}
	return out
}
