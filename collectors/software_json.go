package collectors

import (
	"strconv"
	"unicode/utf8"
)

// AppendSoftwaresJSON appends list to dst as json.Marshal encodes it.
// The softwares are most of an inventory (800 to 2,000 entries), and
// json.Marshal's reflection took 1.5 to 3 ms of a local inventory's 20 ms
// for them, the first call of a process the slowest. TestSoftwaresJSON
// and FuzzSoftwaresJSON hold it to json.Marshal, every field set.
func AppendSoftwaresJSON(dst []byte, list []Software) []byte {
	if list == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = list[i].appendJSON(dst)
	}
	return append(dst, ']')
}

func (s *Software) appendJSON(dst []byte) []byte {
	dst = appendJSONString(append(dst, `{"name":`...), s.Name)
	dst = appendField(dst, `,"version":`, s.Version)
	dst = appendField(dst, `,"arch":`, s.Arch)
	dst = appendField(dst, `,"publisher":`, s.Publisher)
	dst = appendField(dst, `,"comments":`, s.Comments)
	if s.Filesize != 0 {
		dst = strconv.AppendInt(append(dst, `,"filesize":`...), s.Filesize, 10)
	}
	dst = appendField(dst, `,"from":`, s.From)
	dst = appendField(dst, `,"install_date":`, s.InstallDate)
	dst = appendField(dst, `,"system_category":`, s.SystemCategory)
	dst = appendField(dst, `,"url_info_about":`, s.URLInfoAbout)
	dst = appendField(dst, `,"guid":`, s.GUID)
	dst = appendField(dst, `,"uninstall_string":`, s.UninstallString)
	dst = appendField(dst, `,"folder":`, s.Folder)
	dst = appendField(dst, `,"helplink":`, s.HelpLink)
	dst = appendField(dst, `,"release_type":`, s.ReleaseType)
	if s.NoRemove {
		dst = append(dst, `,"no_remove":true`...)
	}
	dst = appendField(dst, `,"version_major":`, s.VersionMajor)
	dst = appendField(dst, `,"version_minor":`, s.VersionMinor)
	dst = appendField(dst, `,"username":`, s.UserName)
	dst = appendField(dst, `,"userid":`, s.UserID)
	return append(dst, '}')
}

// appendField appends an omitempty string field.
func appendField(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	return appendJSONString(append(dst, key...), v)
}

// appendJSONString appends s as a JSON string as json.Marshal writes it:
// HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default: // other control characters, <, > and &
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

// jsonSafe marks the ASCII bytes a JSON string holds as they are.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = true
	}
	for _, c := range `"\<>&` {
		t[c] = false
	}
	return t
}()
