package collectors

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// system_profiler gives a display's EDID identity (maker, product code,
// numeric serial) but not its descriptors, where most monitors keep the
// serial printed on their label: Linux and Windows take the serial from
// there (edid_rules.go), so a Mac would make a second GLPI record of the
// same monitor. The I/O Registry holds the EDIDs themselves: "IODisplayEDID"
// on the AppleDisplay entries of Intel Macs, "EDID" on the display entries
// under the DCP of Apple silicon ones (whose class changes between macOS
// versions, hence one listing of the whole registry). Each EDID is paired
// with the display system_profiler names by that identity, never by
// position.

// ioregProgram lists the I/O Registry.
const ioregProgram = "/usr/sbin/ioreg"

// ioregArgs list every entry with its properties, lines unwrapped.
var ioregArgs = []string{"-l", "-w0"}

// ioregTimeout bounds the listing, a few megabytes on a recent Mac.
const ioregTimeout = 30 * time.Second

// ioregEDIDKeys are the properties that hold an EDID: Intel Macs'
// (the override in use, and the monitor's own when overridden) and Apple
// silicon's.
var ioregEDIDKeys = map[string]bool{"IODisplayEDID": true, "IODisplayEDIDOriginal": true, "EDID": true}

// displayID is the EDID identity system_profiler reports of a display.
type displayID struct {
	vendor  string
	product uint16
	serial  uint32
}

// spDisplayID returns the identity of a display, false when system_profiler
// gave no maker, product code or serial.
func spDisplayID(d spDisplay) (displayID, bool) {
	vendor := pnpFromVendorID(d.VendorID)
	product, perr := strconv.ParseUint(strings.TrimPrefix(d.ProductID, "0x"), 16, 16)
	serial, serr := strconv.ParseUint(strings.TrimPrefix(d.Serial, "0x"), 16, 32)
	if vendor == "" || perr != nil || serr != nil {
		return displayID{}, false
	}
	return displayID{vendor, uint16(product), uint32(serial)}, true
}

// displayEDIDs are the EDIDs of the I/O Registry by the identity of the
// display they belong to.
type displayEDIDs map[displayID][]byte

// macDisplayEDIDs reads the EDIDs of the displays of gpus from the I/O
// Registry. An identity that two displays share, or that EDIDs describing
// the monitor differently share, pairs nothing: those displays keep what
// system_profiler says. Without ioreg, every display does.
func macDisplayEDIDs(ctx context.Context, env *Env, gpus []spGPU) displayEDIDs {
	displays := map[displayID]int{}
	for _, g := range gpus {
		for _, d := range g.Displays {
			if id, ok := spDisplayID(d); ok {
				displays[id]++
			}
		}
	}
	if len(displays) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ioregTimeout)
	defer cancel()
	out, err := env.Run(ctx, ioregProgram, ioregArgs...)
	if err != nil {
		env.Log().Warn("monitor serials from system_profiler only: cannot read the EDIDs", "err", fmt.Errorf("run ioreg: %w", err))
		return nil
	}
	found := map[displayID][][]byte{}
	for _, raw := range parseIoregEDIDs(out) {
		e, err := parseEDID(raw)
		if err != nil {
			continue
		}
		id := displayID{e.vendor, e.product, e.serial}
		if displays[id] > 0 {
			found[id] = append(found[id], raw)
		}
	}
	edids := displayEDIDs{}
	for id, raws := range found {
		if displays[id] > 1 || !sameMonitor(raws) {
			env.Log().Debug("monitor identity not unique, serial from system_profiler",
				"vendor", id.vendor, "product", id.product, "serial", id.serial, "displays", displays[id], "edids", len(raws))
			continue
		}
		edids[id] = raws[0]
	}
	return edids
}

// sameMonitor reports whether EDIDs all describe a monitor alike: an
// override of the EDID usually changes its timings only.
func sameMonitor(raws [][]byte) bool {
	var first Monitor
	for i, raw := range raws {
		e, _ := parseEDID(raw)
		if m := monitorFromEDID(e); i == 0 {
			first = m
		} else if m != first {
			return false
		}
	}
	return true
}

// monitor describes display d: from its EDID, as on Linux and Windows, when
// the I/O Registry has it; else from system_profiler alone
// (monitorFromDisplay). system_profiler's name stays when the EDID has
// none, as a built-in panel's often has not.
func (de displayEDIDs) monitor(d spDisplay) Monitor {
	m := monitorFromDisplay(d)
	id, ok := spDisplayID(d)
	raw, found := de[id]
	if !ok || !found {
		return m
	}
	e, _ := parseEDID(raw)
	r := monitorFromEDID(e)
	if r == (Monitor{}) {
		return m
	}
	if r.Caption == "" {
		r.Caption, r.Name = m.Caption, m.Name
	}
	r.Base64 = base64.StdEncoding.EncodeToString(raw)
	r.Port = m.Port
	return r
}

// parseIoregEDIDs returns the EDIDs in a listing of the I/O Registry
// ("ioreg -l" text): the data values of the ioregEDIDKeys properties, at
// the top of an entry or nested in its dictionaries and arrays, that are
// valid EDIDs (header, base block checksum), each once, in listing order.
// Lines it cannot read are skipped.
func parseIoregEDIDs(out []byte) [][]byte {
	var edids [][]byte
	seen := map[string]bool{}
	add := func(key string, b []byte) {
		if ioregEDIDKeys[key] && validEDID(b) && !seen[string(b)] {
			seen[string(b)] = true
			edids = append(edids, b)
		}
	}
	for line := range bytes.Lines(out) {
		if !bytes.Contains(line, []byte("EDID")) {
			continue
		}
		// A property line: the tree's drawing, then "key" = value.
		s := strings.TrimLeft(strings.TrimRight(string(line), "\r\n"), " |")
		p := &ioregParser{s: s, found: add}
		key, ok := p.str()
		if !ok || !p.eat('=') {
			continue
		}
		p.value(key, 0)
	}
	return edids
}

// validEDID reports whether b starts with an EDID base block whose header
// and checksum are right.
func validEDID(b []byte) bool {
	if len(b) < 128 || !bytes.Equal(b[:8], edidHeader) {
		return false
	}
	var sum byte
	for _, c := range b[:128] {
		sum += c
	}
	return sum == 0
}

// ioregMaxDepth bounds the nesting of the values read.
const ioregMaxDepth = 32

// ioregParser reads one value of ioreg's text format: "string", number or
// bare word, <hex data> or <"string data">, {"key"=value,...} and
// (value,...). It calls found with each data value and the key of the
// property or dictionary entry that holds it.
type ioregParser struct {
	s     string
	i     int
	found func(key string, data []byte)
}

func (p *ioregParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// eat skips spaces and c, reporting whether c was there.
func (p *ioregParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a quoted string, ioreg printing no escapes.
func (p *ioregParser) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	end := strings.IndexByte(p.s[p.i:], '"')
	if end < 0 {
		return "", false
	}
	v := p.s[p.i : p.i+end]
	p.i += end + 1
	return v, true
}

// value reads a value of key, reporting whether it was well formed.
func (p *ioregParser) value(key string, depth int) bool {
	if depth > ioregMaxDepth {
		return false
	}
	p.space()
	if p.i >= len(p.s) {
		return false
	}
	switch p.s[p.i] {
	case '"':
		_, ok := p.str()
		return ok
	case '<':
		return p.data(key)
	case '{':
		p.i++
		if p.eat('}') {
			return true
		}
		for {
			k, ok := p.str()
			if !ok || !p.eat('=') || !p.value(k, depth+1) {
				return false
			}
			if p.eat('}') {
				return true
			}
			if !p.eat(',') {
				return false
			}
		}
	case '(':
		p.i++
		if p.eat(')') {
			return true
		}
		for {
			// An array's items are its key's values.
			if !p.value(key, depth+1) {
				return false
			}
			if p.eat(')') {
				return true
			}
			if !p.eat(',') {
				return false
			}
		}
	}
	// A number, Yes, No, or another bare word.
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(",})", rune(p.s[p.i])) {
		p.i++
	}
	return p.i > start
}

// data reads <...>: hex digits, or quoted strings where the data is text.
func (p *ioregParser) data(key string) bool {
	p.i++ // '<'
	start := p.i
	quoted := false
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '"':
			quoted = !quoted
		case c == '>' && !quoted:
			body := p.s[start:p.i]
			p.i++
			if b, err := hex.DecodeString(body); err == nil && len(body) > 0 {
				p.found(key, b)
			}
			return true
		}
	}
	return false
}
