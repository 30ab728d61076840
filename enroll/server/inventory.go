package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/klauspost/compress/zlib"

	"github.com/glpi-agentd/glpi-agentd/enroll"
	"github.com/glpi-agentd/glpi-agentd/enroll/store"
	"github.com/glpi-agentd/glpi-agentd/glpi"
)

// inventoryMsg is a validated GLPI inventory message.
type inventoryMsg struct {
	root     map[string]json.RawMessage
	content  map[string]json.RawMessage // root["content"], split
	sections map[string]store.Section
	// partial is set for an inventory of some sections only.
	partial bool
}

// decodeEnroll decodes and validates an enroll request body.
func decodeEnroll(data []byte) (*enroll.EnrollRequest, error) {
	var req enroll.EnrollRequest
	if err := json.Unmarshal(data, &req); err != nil {
		return nil, fmt.Errorf("decode enroll request: %w", err)
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("decode enroll request: %w", err)
	}
	return &req, nil
}

// decodeInventory parses and validates a GLPI inventory message: a JSON
// object with only schema root keys, a deviceid, a content object with a
// versionclient, and a known itemtype when one is given.
func decodeInventory(data []byte) (*inventoryMsg, error) {
	// One scan checks the message, one more splits it and its content and
	// counts the sections' items, without copying (json.Unmarshal into
	// RawMessages scanned twice and copied each value); FuzzJSONWalk holds
	// splitInventory to json.Unmarshal's result.
	if !validJSON(data) {
		var v any
		return nil, fmt.Errorf("decode inventory: %w", json.Unmarshal(data, &v))
	}
	root, content, items, err := splitInventory(data)
	if err != nil {
		return nil, errors.New("decode inventory: not a JSON object")
	}
	for k := range root {
		if !slices.Contains(glpi.RootKeys, k) {
			return nil, fmt.Errorf("decode inventory: root key %q is not allowed", k)
		}
	}
	var deviceID string
	if err := json.Unmarshal(root["deviceid"], &deviceID); err != nil || deviceID == "" {
		return nil, errors.New("decode inventory: deviceid must be a non-empty string")
	}
	if raw, ok := root["itemtype"]; ok {
		var it string
		if err := json.Unmarshal(raw, &it); err != nil || !glpi.ValidItemType(it) {
			return nil, fmt.Errorf("decode inventory: itemtype %s is not allowed", raw)
		}
	}
	if raw, ok := root["action"]; ok {
		var action string
		if err := json.Unmarshal(raw, &action); err != nil || action != "inventory" {
			return nil, fmt.Errorf("decode inventory: action %s is not inventory", raw)
		}
	}
	var partial bool
	if raw, ok := root["partial"]; ok {
		if err := json.Unmarshal(raw, &partial); err != nil {
			return nil, errors.New("decode inventory: partial must be a boolean")
		}
	}
	// The whole message is valid JSON: content was split with it.
	if content == nil {
		return nil, errors.New("decode inventory: content must be an object")
	}
	var version string
	if err := json.Unmarshal(content["versionclient"], &version); err != nil || version == "" {
		return nil, errors.New("decode inventory: content.versionclient must be a non-empty string")
	}
	msg := &inventoryMsg{root: root, content: content, sections: make(map[string]store.Section, len(content)), partial: partial}
	for name, raw := range content {
		if name == "versionclient" {
			continue
		}
		sum := sha256.Sum256(raw)
		msg.sections[name] = store.Section{Hash: hex.EncodeToString(sum[:12]), Items: items[name]}
	}
	return msg, nil
}

// names reports whether the message says what rewrite would make it say:
// the device's GLPI deviceid, the key's tag when there is one, an action.
func (m *inventoryMsg) names(deviceID, tag string) bool {
	var id, t string
	if _, ok := m.root["action"]; !ok || json.Unmarshal(m.root["deviceid"], &id) != nil || id != deviceID {
		return false
	}
	return tag == "" || json.Unmarshal(m.root["tag"], &t) == nil && t == tag
}

// rewrite returns the message with the device's GLPI deviceid and the key's
// tag, which the server owns whatever the agent sent.
func (m *inventoryMsg) rewrite(deviceID, tag string) []byte {
	root := make(map[string]json.RawMessage, len(m.root)+1)
	for k, v := range m.root {
		root[k] = v
	}
	id, _ := json.Marshal(deviceID)
	root["deviceid"] = id
	if tag != "" {
		t, _ := json.Marshal(tag)
		root["tag"] = t
	}
	if _, ok := root["action"]; !ok {
		root["action"], _ = json.Marshal(glpi.ActionInventory)
	}
	// The values came out of json.Unmarshal and are valid JSON: splice them
	// rather than let json.Marshal scan the whole inventory twice more.
	// The content goes last, so that the relay reads deviceid and tag from
	// the first bytes of the stored message (inventoryHead).
	keys := make([]string, 0, len(root))
	for k := range root {
		if k != "content" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if _, ok := root["content"]; ok {
		keys = append(keys, "content")
	}
	var buf bytes.Buffer
	buf.Grow(len(root["content"]) + 256)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(strconv.Quote(k))
		buf.WriteByte(':')
		buf.Write(root[k])
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// inventoryHead returns the deviceid and tag of a stored (zlib) message,
// inflating no more of it than the keys before its content: rewrite puts
// the content last. A message stored before that order is read whole.
func inventoryHead(zbody []byte) (deviceID, tag string, err error) {
	zr, err := zlib.NewReader(bytes.NewReader(zbody))
	if err != nil {
		return "", "", fmt.Errorf("read stored inventory: %w", err)
	}
	defer zr.Close()
	dec := json.NewDecoder(zr)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", "", fmt.Errorf("read stored inventory: not a JSON object (%v)", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return "", "", fmt.Errorf("read stored inventory: %w", err)
		}
		key, _ := t.(string)
		if key == "content" && deviceID != "" {
			break
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", "", fmt.Errorf("read stored inventory: %w", err)
		}
		switch key {
		case "deviceid":
			err = json.Unmarshal(v, &deviceID)
		case "tag":
			err = json.Unmarshal(v, &tag)
		}
		if err != nil {
			return "", "", fmt.Errorf("read stored inventory: %s: %w", key, err)
		}
	}
	if deviceID == "" {
		return "", "", errors.New("read stored inventory: no deviceid")
	}
	return deviceID, tag, nil
}
