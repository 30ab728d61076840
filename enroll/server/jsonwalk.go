package server

import (
	"encoding/json"
	"errors"
)

// The functions here walk JSON that json.Unmarshal has already validated
// (a value of a decoded inventory): they trust its syntax and only follow
// strings and nesting, so that the sections of a large inventory are
// split and counted in one light pass instead of being validated again.

var errNotObject = errors.New("not a JSON object")

// skipSpace returns the index of the first byte of b at or after i that
// is not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = stringEnd(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return i
			}
		}
		return i
	}
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// splitObject returns the members of the valid JSON object raw, as
// json.Unmarshal into a map[string]json.RawMessage would (the last of
// duplicate keys wins).
func splitObject(raw []byte) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	_, err := walkObject(raw, skipSpace(raw, 0), func(key string, vStart int) int {
		vEnd := valueEnd(raw, vStart)
		out[key] = raw[vStart:vEnd:vEnd]
		return vEnd
	})
	return out, err
}

// walkObject walks the members of the valid JSON object at raw[i]: member
// gets each key and the index of its value, and returns the index just
// past the value. It returns the index just past the object.
func walkObject(raw []byte, i int, member func(key string, vStart int) (vEnd int)) (int, error) {
	if i >= len(raw) || raw[i] != '{' {
		return i, errNotObject
	}
	for i = skipSpace(raw, i+1); i < len(raw) && raw[i] != '}'; {
		kEnd := stringEnd(raw, i)
		key := string(raw[i+1 : kEnd-1])
		if !plainASCII(raw[i+1 : kEnd-1]) {
			// Escapes, and invalid UTF-8 made U+FFFD, as json.Unmarshal does.
			if err := json.Unmarshal(raw[i:kEnd], &key); err != nil {
				return i, err
			}
		}
		vEnd := member(key, skipSpace(raw, skipSpace(raw, kEnd)+1)) // past the colon
		if i = skipSpace(raw, vEnd); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return i + 1, nil
}

// splitInventory splits the valid JSON object raw as splitObject does,
// and its "content" member's members too, with the item count (see
// countItems) of each, in one pass.
func splitInventory(raw []byte) (root, content map[string]json.RawMessage, items map[string]int, err error) {
	root = map[string]json.RawMessage{}
	_, err = walkObject(raw, skipSpace(raw, 0), func(key string, vStart int) int {
		var vEnd int
		if key == "content" && raw[vStart] == '{' {
			content, items = map[string]json.RawMessage{}, map[string]int{}
			vEnd, _ = walkObject(raw, vStart, func(name string, start int) int {
				end, n := valueEndCount(raw, start)
				content[name], items[name] = raw[start:end:end], n
				return end
			})
		} else {
			if key == "content" {
				content, items = nil, nil // the last one wins
			}
			vEnd = valueEnd(raw, vStart)
		}
		root[key] = raw[vStart:vEnd:vEnd]
		return vEnd
	})
	return root, content, items, err
}

// valueEndCount is valueEnd, with the number of items of an array, 1 for
// any other value.
func valueEndCount(b []byte, i int) (int, int) {
	if b[i] != '[' {
		return valueEnd(b, i), 1
	}
	n := 0
	for i = skipSpace(b, i+1); i < len(b) && b[i] != ']'; n++ {
		if i = skipSpace(b, valueEnd(b, i)); i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return i + 1, n
}

// plainASCII reports whether a string's bytes need no decoding: ASCII
// without escapes.
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// countItems returns the length of the valid JSON array raw, or 1 for any
// other value.
func countItems(raw json.RawMessage) int {
	i := skipSpace(raw, 0)
	if i >= len(raw) {
		return 1
	}
	_, n := valueEndCount(raw, i)
	return n
}
