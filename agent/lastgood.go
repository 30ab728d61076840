package agent

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
)

// The last good sections are read at every run, and were most of a run's
// time spent outside the collectors when they were one JSON object (3 to
// 5 ms to decode 250 KB, and as much to encode it again when a section
// changed). sectionsFile is therefore a first line, sectionsHead, then
// each section's JSON on a line of its own, as json.Marshal wrote it (it
// never writes a raw newline). A run reads the first line alone, tells a
// changed section by its digest, and reads the sections only to carry
// one over or to rewrite the file with sections it did not collect.

// oldSectionsFile is the single JSON object (lastGoodV1) of earlier
// versions, read once and replaced by sectionsFile.
const oldSectionsFile = "sections.json"

// lastGoodV1 is the content of oldSectionsFile.
type lastGoodV1 struct {
	Sections map[string]json.RawMessage `json:"sections"`
	Since    map[string]time.Time       `json:"since"`
}

// sectionsHead is the first line of sectionsFile.
type sectionsHead struct {
	// Keys are the sections of the lines that follow, in their order.
	Keys []string `json:"keys"`
	// Sums are each section's SHA-256, hex, of its line.
	Sums map[string]string `json:"sums"`
	// Since is when each section last changed: the file is written only
	// then, not at every run.
	Since map[string]time.Time `json:"since"`
}

// lastGood is the last good value of each section, read from its file as
// needed.
type lastGood struct {
	path, old string
	head      sectionsHead
	// lines are the sections of the file's lines, in their order, as
	// its head said when it was read: head.Keys changes with the run.
	lines []string
	// raw holds the sections collected in this run and those read.
	raw    map[string][]byte
	loaded bool // the file's sections are in raw
	dirty  bool // a section changed, appeared or went
	// warnings are sections dropped from the file: a line whose digest
	// is not its head's.
	warnings []error
}

// openLastGood reads the head of path, or migrates old when path does
// not exist yet. Unreadable, it returns an empty lastGood, which writes
// the file anew, and the error.
func openLastGood(path, old string) (*lastGood, error) {
	lg := &lastGood{path: path, old: old, raw: map[string][]byte{}}
	lg.head = sectionsHead{Sums: map[string]string{}, Since: map[string]time.Time{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return lg, lg.migrate()
	}
	var head sectionsHead
	if err == nil {
		defer f.Close()
		var line []byte
		if line, err = bufio.NewReader(f).ReadBytes('\n'); err == nil {
			err = json.Unmarshal(line, &head)
		}
	}
	if err != nil {
		lg.loaded, lg.dirty = true, true
		return lg, fmt.Errorf("read %q: %w", path, err)
	}
	if head.Sums != nil {
		lg.head.Sums = head.Sums
	}
	if head.Since != nil {
		lg.head.Since = head.Since
	}
	lg.head.Keys, lg.lines = head.Keys, slices.Clone(head.Keys)
	return lg, nil
}

// migrate reads oldSectionsFile, when there is one, into lg.
func (lg *lastGood) migrate() error {
	lg.loaded = true
	var v1 lastGoodV1
	if err := state.ReadJSON(lg.old, &v1); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		lg.dirty = true // replace what cannot be read
		return err
	}
	for k, raw := range v1.Sections {
		var b bytes.Buffer
		if json.Compact(&b, raw) != nil {
			continue
		}
		lg.put(k, b.Bytes(), digest(b.Bytes()))
		if t, ok := v1.Since[k]; ok {
			lg.head.Since[k] = t
		}
	}
	lg.dirty = true
	return nil
}

// put records section k as raw, with its digest sum.
func (lg *lastGood) put(k string, raw []byte, sum string) {
	if !slices.Contains(lg.head.Keys, k) {
		lg.head.Keys = append(lg.head.Keys, k)
	}
	lg.raw[k], lg.head.Sums[k] = raw, sum
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// load reads the file's sections into raw, keeping those set in this run.
func (lg *lastGood) load() {
	if lg.loaded {
		return
	}
	lg.loaded = true
	b, err := os.ReadFile(lg.path)
	if err != nil {
		lg.warnings = append(lg.warnings, fmt.Errorf("read %q: %w", lg.path, err))
		lg.dropUnread()
		return
	}
	_, rest, _ := bytes.Cut(b, []byte("\n")) // the head, read already
	for _, k := range lg.lines {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if _, ok := lg.raw[k]; ok || !slices.Contains(lg.head.Keys, k) {
			continue // collected in this run, or gone
		}
		if digest(line) != lg.head.Sums[k] {
			lg.warnings = append(lg.warnings, fmt.Errorf("%s in %q does not match its digest", k, lg.path))
			continue
		}
		lg.raw[k] = line
	}
	lg.dropUnread()
}

// dropUnread forgets the sections of the head that could not be read.
func (lg *lastGood) dropUnread() {
	for _, k := range lg.head.Keys {
		if _, ok := lg.raw[k]; !ok {
			lg.forget(k)
		}
	}
}

// section returns the last good value of section k and since when it has
// held.
func (lg *lastGood) section(k string) (json.RawMessage, time.Time, bool) {
	if _, ok := lg.head.Sums[k]; !ok {
		return nil, time.Time{}, false
	}
	lg.load()
	raw, ok := lg.raw[k]
	return raw, lg.head.Since[k], ok
}

// set records raw as section k's last good value, collected at now.
func (lg *lastGood) set(k string, raw []byte, now time.Time) {
	sum := digest(raw)
	if lg.head.Sums[k] == sum && slices.Contains(lg.head.Keys, k) {
		lg.raw[k] = raw
		return
	}
	lg.put(k, raw, sum)
	lg.head.Since[k], lg.dirty = now, true
}

// forget drops section k.
func (lg *lastGood) forget(k string) {
	if i := slices.Index(lg.head.Keys, k); i >= 0 {
		lg.head.Keys = slices.Delete(lg.head.Keys, i, i+1)
		lg.dirty = true
	}
	delete(lg.head.Sums, k)
	delete(lg.head.Since, k)
	delete(lg.raw, k)
}

// save writes the file when a section changed, with the sections of
// earlier runs that this one did not collect, and removes the old file.
func (lg *lastGood) save() error {
	if !lg.dirty {
		return nil
	}
	for _, k := range lg.head.Keys {
		if _, ok := lg.raw[k]; !ok {
			lg.load()
			break
		}
	}
	slices.Sort(lg.head.Keys)
	head, err := json.Marshal(lg.head)
	if err != nil {
		return err
	}
	size := len(head) + 1
	for _, k := range lg.head.Keys {
		size += len(lg.raw[k]) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.Write(head)
	buf.WriteByte('\n')
	for _, k := range lg.head.Keys {
		buf.Write(lg.raw[k])
		buf.WriteByte('\n')
	}
	if err := state.WriteFileAtomic(lg.path, buf.Bytes(), 0o600); err != nil {
		return err
	}
	lg.dirty = false
	if err := os.Remove(lg.old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
