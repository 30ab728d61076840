// Package glpi speaks GLPI's native inventory protocol (GLPI 10 and 11): the
// JSON CONTACT and inventory messages, their compressed framing, the server's
// answers and errors, and the Basic or OAuth authentication in front of them.
//
// The codec (Encode, Decode) is shared with server-side code; Client is the
// agent side.
package glpi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Answer statuses.
const (
	StatusOK      = "ok"
	StatusError   = "error"
	StatusPending = "pending"
)

// The action and itemtype of an inventory message that names none.
const (
	ActionInventory  = "inventory"
	ItemTypeComputer = "Computer"
)

// RootKeys are the root keys GLPI's inventory schema allows, which are
// exactly the fields of Inventory.
var RootKeys = []string{"action", "content", "deviceid", "itemtype", "jobid", "partial", "tag"}

// itemTypes is the schema's itemtype pattern, plus GLPI 11's custom asset
// classes.
var itemTypes = regexp.MustCompile(`^(Unmanaged|Computer|Phone|NetworkEquipment|Printer|Glpi\\CustomAsset\\[A-Za-z0-9_]+)$`)

// ValidItemType reports whether GLPI imports an inventory of itemtype s.
func ValidItemType(s string) bool { return itemTypes.MatchString(s) }

// Inventory is an inventory message. Its root keys are exactly RootKeys;
// Content holds the inventory proper and must carry "versionclient".
type Inventory struct {
	Action   string         `json:"action"`
	DeviceID string         `json:"deviceid"`
	ItemType string         `json:"itemtype"`
	Partial  bool           `json:"partial"`
	Tag      string         `json:"tag,omitempty"`
	JobID    string         `json:"jobid,omitempty"`
	Content  map[string]any `json:"content"`
}

// Encode returns the message as json.Marshal encodes it, but for the
// content's json.RawMessage values, which it copies as they are where
// json.Marshal would scan each again: the agent's sections, encoded once
// by json.Marshal (and so valid, compact and HTML-escaped as it would
// write them), were a tenth of a local inventory's time scanned again.
// A RawMessage that is not such an encoding gives a message that is not
// json.Marshal's.
func (inv *Inventory) Encode() ([]byte, error) {
	head := *inv
	head.Content = nil
	b, err := json.Marshal(&head) // ends with the content, null
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSuffix(b, []byte("null}"))
	if inv.Content == nil {
		return append(b, "null}"...), nil
	}
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(inv.Content)) {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k) // a string always encodes
		b = append(append(b, kb...), ':')
		switch v := inv.Content[k].(type) {
		case json.RawMessage:
			if len(v) == 0 {
				v = json.RawMessage("null")
			}
			b = append(b, v...)
		default:
			vb, err := json.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("encode content.%s: %w", k, err)
			}
			b = append(b, vb...)
		}
	}
	return append(b, "}}"...), nil
}

// Contact is the CONTACT message an agent sends at the start of each run to
// learn which tasks the server wants and when to come back.
type Contact struct {
	Action         string         `json:"action"`
	DeviceID       string         `json:"deviceid"`
	Name           string         `json:"name"`
	Version        string         `json:"version"`
	InstalledTasks []string       `json:"installed-tasks"`
	EnabledTasks   []string       `json:"enabled-tasks"`
	HTTPDPort      int            `json:"httpd-port,omitempty"`
	HTTPDPlugins   map[string]any `json:"httpd-plugins,omitempty"`
	Tag            string         `json:"tag,omitempty"`
}

// Task describes one task in a CONTACT answer.
type Task struct {
	// Server is "glpi" for GLPI core, "glpiinventory" for the plugin.
	Server string `json:"server,omitempty"`
	// Version is the server's version.
	Version string `json:"version,omitempty"`
	// NoCategory is a comma-separated list of inventory categories the
	// server asks the agent not to collect.
	NoCategory string `json:"no-category,omitempty"`
}

// Answer is the server's JSON answer to a CONTACT or an inventory, and the
// body of its JSON errors.
type Answer struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	// Expiration is the delay before the next contact: a number of hours,
	// or a string with an s, m, h or d suffix. See Delay.
	Expiration json.RawMessage `json:"expiration,omitempty"`
	Tasks      map[string]Task `json:"tasks,omitempty"`
	Disabled   []string        `json:"disabled,omitempty"`
}

// delayUnits maps an expiration suffix to its unit.
var delayUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
}

// maxDelay bounds Delay; GLPI's own setting stops at 240 hours.
const maxDelay = 366 * 24 * time.Hour

// ParseAnswer parses a JSON answer. It fails when b is not a JSON object with
// a string "status", which is what tells a GLPI answer from anything else.
func ParseAnswer(b []byte) (*Answer, error) {
	var a Answer
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("parse answer: %w", err)
	}
	if a.Status == "" {
		return nil, errors.New("parse answer: no status")
	}
	return &a, nil
}

// Delay returns the next-contact delay the server asked for, and false when
// the expiration is absent, malformed, zero, negative or beyond a year.
// A bare number, or a numeric string, counts hours; a string may instead end
// in s, m, h or d.
func (a *Answer) Delay() (time.Duration, bool) {
	raw := bytes.TrimSpace(a.Expiration)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false
		}
		s = strings.TrimSpace(s)
	} else {
		s = string(raw)
	}
	unit := time.Hour
	if n := len(s); n > 0 {
		if u, ok := delayUnits[s[n-1]]; ok {
			unit, s = u, s[:n-1]
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0 && v <= float64(maxDelay/unit)) {
		return 0, false
	}
	d := time.Duration(v * float64(unit))
	if d <= 0 {
		return 0, false
	}
	return d, true
}
