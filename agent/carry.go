package agent

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/glpi-agentd/glpi-agentd/collectors"
)

// A collector that fails is not a collector with no data. GLPI reads a
// section missing from a full inventory as "this computer has none of
// these" and deletes what it had (network ports, software, disks), so a
// failed section must never go missing:
//
//   - a failed section is carried over from the last run whose collector
//     succeeded (sections.jsonl in the state directory);
//   - a failed section with nothing to carry over (the first run on this
//     host, or after an upgrade) makes the inventory partial, which GLPI
//     applies section by section and which keeps everything else;
//   - an inventory whose hardware, bios or operating system failed is not
//     sent at all: GLPI matches the computer on those, and a computer
//     without them would be created anew or merged with another.
//
// A collector that has no data (ErrNoData: no battery, no DMI tables) is
// not failed: its section is absent and GLPI forgets it, as it should.

// sectionsFile keeps the last good value of each section (lastgood.go).
const sectionsFile = "sections.jsonl"

// coreSections are the sections without which nothing is sent: GLPI's
// import rules find the computer with them.
var coreSections = alwaysSent

// Carried is a section sent from the last good run because its collector
// failed in this one.
type Carried struct {
	Collector string `json:"collector"`
	Section   string `json:"section"`
	// Since is when the value sent was first collected; every good run
	// since collected the same.
	Since time.Time `json:"since"`
	Err   string    `json:"error"`
}

// CoreFailedError reports an inventory not sent because a collector GLPI
// needs to identify the computer failed.
type CoreFailedError struct {
	Failed []collectors.Result
}

func (e *CoreFailedError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, r := range e.Failed {
		parts[i] = fmt.Sprintf("%s: %v", r.Name, r.Err)
	}
	return "inventory not sent, GLPI keeps what it has: collector failed (" + strings.Join(parts, "; ") + ")"
}

// coreFailure returns a CoreFailedError when a core section's collector
// failed.
func coreFailure(results []collectors.Result) error {
	var failed []collectors.Result
	for _, r := range results {
		if r.Failed() && slices.Contains(coreSections, r.Key) {
			failed = append(failed, r)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &CoreFailedError{Failed: failed}
}

// carryOver completes content with the last good value of each section
// whose collector failed, and records the sections collected now as the
// new last good ones. It returns the sections carried over, and the failed
// ones it had nothing for (lost), which the inventory must not claim the
// host lacks. Every section it records is left in content as its JSON
// (json.RawMessage), so that digests and the message reuse that encoding.
func (a *Agent) carryOver(content map[string]any, results []collectors.Result, now time.Time) (carried []Carried, lost []string) {
	lg, err := openLastGood(a.state.File(sectionsFile), a.state.File(oldSectionsFile))
	if err != nil {
		a.log.Warn("last good sections unreadable: failed sections cannot be carried over", "err", err)
	}
	encoded := encodeSections(content, results)
	for i, r := range results {
		switch {
		case r.Failed():
			raw, since, ok := lg.section(r.Key)
			if !ok {
				lost = append(lost, r.Key)
				a.log.Warn("failed section has no earlier value: sending a partial inventory so that GLPI keeps its own", "collector", r.Name, "section", r.Key)
				continue
			}
			content[r.Key] = raw
			carried = append(carried, Carried{Collector: r.Name, Section: r.Key, Since: since, Err: r.Err.Error()})
			a.log.Warn("failed section carried over from the last good run", "collector", r.Name, "section", r.Key, "unchanged_since", since.Format(time.RFC3339))
		case r.Err != nil:
			// Nothing to report on this host any more: forget it.
			lg.forget(r.Key)
		default:
			b := encoded[i]
			if b == nil {
				continue
			}
			content[r.Key] = json.RawMessage(b)
			lg.set(r.Key, b, now.UTC())
		}
	}
	if err := lg.save(); err != nil {
		a.log.Warn("last good sections not saved", "err", err)
	}
	for _, w := range lg.warnings {
		a.log.Warn("last good section dropped", "err", w)
	}
	return carried, lost
}

// encodeSections returns the JSON of each section collected in results,
// by the results' order, nil for a section not collected or that
// json.Marshal refuses. The softwares, most of an inventory, are encoded
// without reflection.
func encodeSections(content map[string]any, results []collectors.Result) [][]byte {
	out := make([][]byte, len(results))
	for i, r := range results {
		if r.Err != nil {
			continue
		}
		if list, ok := content[r.Key].([]collectors.Software); ok {
			out[i] = collectors.AppendSoftwaresJSON(nil, list)
		} else if b, err := json.Marshal(content[r.Key]); err == nil {
			out[i] = b
		}
	}
	return out
}

// failedNames lists the failed collectors of results with their errors,
// for the run state.
func failedNames(results []collectors.Result) map[string]string {
	var out map[string]string
	for _, r := range results {
		if r.Failed() {
			out = mapSet(out, r.Name, r.Err.Error())
		}
	}
	return out
}

// carriedSections lists the sections of c.
func carriedSections(c []Carried) []string {
	out := make([]string, len(c))
	for i, x := range c {
		out[i] = x.Section
	}
	return slices.Sorted(slices.Values(out))
}
