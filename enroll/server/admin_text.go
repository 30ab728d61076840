package server

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// printable returns s as the admin commands print it: devices choose much
// of what they show (host names, versions, action messages, inventory
// section names), and a terminal acts on control characters. Every C0 and
// C1 control, DEL, line and paragraph separator, bidirectional control and
// invalid byte is written as a Go escape (\x1b, \n, \u202e), so that text
// can neither drive the terminal, forge a line or a column, nor reorder
// what follows it.
func printable(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		// Ranging over a string yields RuneError for each invalid byte;
		// the escape of RuneError itself is close enough for display.
		if !unsafeRune(r) {
			b.WriteRune(r)
			continue
		}
		if r < utf8.RuneSelf {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		} else {
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return unicode.IsControl(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' ||
		unicode.Is(unicode.Bidi_Control, r)
}

// textWriter escapes the ASCII control characters other than newline and
// tab in everything written to w: a net under printable for text output
// whose values were not escaped one by one.
type textWriter struct{ w io.Writer }

// TextWriter returns w with the ASCII control characters other than
// newline and tab escaped, for the admin commands' human-readable output.
func TextWriter(w io.Writer) io.Writer { return textWriter{w} }

func (t textWriter) Write(p []byte) (int, error) {
	clean := true
	for _, c := range p {
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return t.w.Write(p)
	}
	var b strings.Builder
	for _, c := range p {
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			fmt.Fprintf(&b, `\x%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	if _, err := io.WriteString(t.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}
