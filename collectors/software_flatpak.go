package collectors

import (
	"encoding/xml"
	"strings"
)

// appStream is the part of an AppStream metainfo file the collector reads.
type appStream struct {
	ID      string        `xml:"id"`
	Names   []xmlLangText `xml:"name"`
	Summary []xmlLangText `xml:"summary"`
	URLs    []struct {
		Type  string `xml:"type,attr"`
		Value string `xml:",chardata"`
	} `xml:"url"`
	DeveloperName []xmlLangText `xml:"developer_name"`
	Developer     struct {
		Names []xmlLangText `xml:"name"`
	} `xml:"developer"`
	Releases []struct {
		Version string `xml:"version,attr"`
	} `xml:"releases>release"`
}

type xmlLangText struct {
	Lang  string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Value string `xml:",chardata"`
}

// untranslated returns the text without a language, the original one.
func untranslated(ts []xmlLangText) string {
	for _, t := range ts {
		if t.Lang == "" {
			return strings.TrimSpace(t.Value)
		}
	}
	return ""
}

// parseFlatpakApp builds the software entry of a flatpak application from
// its ref ("app/org.gnome.Calculator/x86_64/stable") and its AppStream
// metainfo, which may be empty. The newest release comes first in
// metainfo files.
func parseFlatpakApp(ref string, metainfo []byte) Software {
	parts := strings.Split(ref, "/")
	s := Software{From: "flatpak"}
	if len(parts) == 4 {
		s.Name, s.Arch = parts[1], parts[2]
	}
	var a appStream
	if len(metainfo) == 0 || xml.Unmarshal(metainfo, &a) != nil {
		return s
	}
	if name := untranslated(a.Names); name != "" {
		s.Name = name
	}
	s.Comments = untranslated(a.Summary)
	s.Publisher = untranslated(a.Developer.Names)
	if s.Publisher == "" {
		s.Publisher = untranslated(a.DeveloperName)
	}
	for _, u := range a.URLs {
		if u.Type == "homepage" {
			s.URLInfoAbout = strings.TrimSpace(u.Value)
		}
	}
	if len(a.Releases) > 0 {
		s.Version = a.Releases[0].Version
	}
	return s
}
