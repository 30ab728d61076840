package agent

import (
	"bytes"
	"strings"
)

// indentJSON appends to dst the compact, valid JSON src (json.Marshal's
// output) indented as json.Indent(dst, src, "", indent) indents it,
// three to four times faster: it trusts src's syntax, copies each string
// whole, and only looks at the bytes between them. json.Indent's scanner
// took 2 to 4 ms of a local inventory's 20 ms budget. FuzzIndentJSON
// holds it to json.Indent.
func indentJSON(dst, src []byte, indent string) []byte {
	// A line's start at the usual depths, sliced rather than built.
	pad := []byte("\n" + strings.Repeat(indent, 16))
	newline := func(dst []byte, depth int) []byte {
		if n := 1 + depth*len(indent); n <= len(pad) {
			return append(dst, pad[:n]...)
		}
		dst = append(dst, '\n')
		for range depth {
			dst = append(dst, indent...)
		}
		return dst
	}
	depth := 0
	open := false // a container just opened: its first member is not indented yet
	for i := 0; i < len(src); i++ {
		c := src[i]
		if open && c != '}' && c != ']' {
			open = false
			depth++
			dst = newline(dst, depth)
		}
		switch c {
		case '"':
			end := stringEnd(src, i)
			dst = append(dst, src[i:end]...)
			i = end - 1
		case '{', '[':
			dst = append(dst, c)
			open = true
		case '}', ']':
			if open {
				open = false // empty: {} or []
			} else {
				depth--
				dst = newline(dst, depth)
			}
			dst = append(dst, c)
		case ',':
			dst = newline(append(dst, c), depth)
		case ':':
			dst = append(dst, ':', ' ')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			break
		}
		e := bytes.IndexByte(b[i:i+q], '\\')
		if e < 0 {
			return i + q + 1
		}
		i += e + 2 // past the escape and the character it escapes
	}
	return len(b)
}
