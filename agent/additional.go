package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/glpi-agentd/glpi-agentd/agent/state"
)

// additionalContentFile keeps the last additional content merged, for the
// runs that find the admin's file unreadable or invalid.
const additionalContentFile = "additional-content.json"

// contentSections are the sections of an inventory's content in GLPI's
// schema, true for a list of entries, false for one object
// (TestContentSectionsFollowTheSchema holds them to it).
var contentSections = map[string]bool{
	"accesslog": false, "antivirus": true, "batteries": true, "bios": false, "cameras": true,
	"cartridges": true, "consumables": true, "controllers": true, "cpus": true,
	"databases_services": true, "drives": true, "envs": true, "firewalls": true, "firmwares": true,
	"hardware": false, "inputs": true, "licenseinfos": true, "local_groups": true, "local_users": true,
	"logical_volumes": true, "memories": true, "modems": true, "monitors": true,
	"network_components": true, "network_device": false, "network_ports": true, "networks": true,
	"operatingsystem": false, "pagecounters": false, "physical_volumes": true, "ports": true,
	"powersupplies": true, "printers": true, "processes": true, "remote_mgmt": true, "sensors": true,
	"simcards": true, "slots": true, "softwares": true, "sounds": true, "storages": true,
	"usbdevices": true, "users": true, "versionprovider": false, "videos": true,
	"virtualmachines": true, "volume_groups": true,
}

// parseAdditionalContent reads an additional content file, the official
// agent's JSON form: {"content": {section: entries or fields}}. Each
// section must be one of the schema's, of its kind: a list of objects or
// an object. GLPI refuses a whole inventory with a section its schema
// does not have, as the official agent refuses such a file.
func parseAdditionalContent(b []byte) (map[string]json.RawMessage, error) {
	var file struct {
		Content map[string]json.RawMessage `json:"content"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if file.Content == nil {
		return nil, errors.New(`no "content" object: write {"content": {"softwares": [...], ...}}`)
	}
	for name, raw := range file.Content {
		if name == "versionclient" {
			return nil, errors.New(`section "versionclient" is the agent's own`)
		}
		list, known := contentSections[name]
		switch {
		case !known:
			return nil, fmt.Errorf("section %q is not a section of GLPI's inventory format, which would refuse the inventory", name)
		case list:
			var entries []map[string]json.RawMessage
			if err := json.Unmarshal(raw, &entries); err != nil {
				return nil, fmt.Errorf("section %q: want a list of objects: %w", name, err)
			}
		default:
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
				return nil, fmt.Errorf("section %q: want an object", name)
			}
		}
	}
	return file.Content, nil
}

// mergeAdditionalContent merges the additional_content file into content,
// as the official agent's additional-content: a list section's entries
// are added to those collected, an object section's fields set. Sections
// in skip (those the run did not collect, or failed to) are left alone: a
// section made of the file's entries alone would make GLPI drop the
// collected ones.
//
// The file is the admin's, and scripts rewrite it: a file that is gone
// means no additional content; one that cannot be read or is invalid is
// reported, and the last one merged is merged again, so that GLPI does
// not forget what it brought.
func (a *Agent) mergeAdditionalContent(content map[string]any, skip func(section string) bool) {
	path := a.cfg.AdditionalContent
	if path == "" {
		return
	}
	kept := a.state.File(additionalContentFile)
	// The agent's own file, as its CA and certificate files are, not
	// one of the host it inventories.
	b, err := os.ReadFile(path)
	var sections map[string]json.RawMessage
	if err == nil {
		sections, err = parseAdditionalContent(b)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		a.log.Debug("no additional content file", "path", path)
		os.Remove(kept)
		return
	case err != nil:
		last, lerr := os.ReadFile(kept)
		if lerr == nil {
			sections, lerr = parseAdditionalContent(last)
		}
		if lerr != nil {
			a.log.Warn("additional content file unusable, and none merged before: nothing merged", "path", path, "err", err)
			return
		}
		a.log.Warn("additional content file unusable: the last one merged is merged again", "path", path, "err", err)
	default:
		if old, _ := os.ReadFile(kept); !bytes.Equal(old, b) {
			if err := state.WriteFileAtomic(kept, b, 0o600); err != nil {
				a.log.Warn("additional content not kept for the runs that cannot read it", "err", err)
			}
		}
	}
	var merged []string
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		if skip(name) {
			continue
		}
		if err := mergeSection(content, name, sections[name]); err != nil {
			a.log.Warn("additional content section not merged", "section", name, "err", err)
			continue
		}
		merged = append(merged, name)
	}
	a.log.Debug("additional content merged", "path", path, "sections", merged)
}

// mergeSection merges one section of additional content into content.
func mergeSection(content map[string]any, name string, raw json.RawMessage) error {
	have, ok := content[name]
	list := contentSections[name]
	if !ok {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return err
		}
		content[name] = json.RawMessage(b.Bytes())
		return nil
	}
	cur, err := json.Marshal(have)
	if err != nil {
		return err
	}
	if list {
		var entries, more []json.RawMessage
		if err := json.Unmarshal(cur, &entries); err != nil {
			return fmt.Errorf("collected section is not a list: %w", err)
		}
		if err := json.Unmarshal(raw, &more); err != nil {
			return err
		}
		content[name] = slices.Concat(entries, more)
		return nil
	}
	var fields, set map[string]json.RawMessage
	if err := json.Unmarshal(cur, &fields); err != nil {
		return fmt.Errorf("collected section is not an object: %w", err)
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return err
	}
	if fields == nil {
		fields = map[string]json.RawMessage{}
	}
	maps.Copy(fields, set)
	content[name] = fields
	return nil
}
