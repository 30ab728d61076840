package collectors

import "sort"

//go:generate go run pnpids_gen.go -in /usr/share/hwdata/pnp.ids -out pnpids_table.go

// pnpCompatNames are the display makers whose name in the official GLPI
// agent differs from the PNP ID registry's (pnpids_table.go). The official
// agent names monitor makers from its own edid.ids, a copy of Microsoft's
// older ISA PNP id list, on every OS; the registry has since renamed some
// makers (GSM is "LG Electronics" there, TOS "Dynabook Inc."), reassigned an
// id (IMP), or lost some (AOC, BNQ). GLPI matches monitors on their
// manufacturer's name, so a fleet moving from the official agent keeps its
// monitor records only if these names stay as they were.
var pnpCompatNames = map[string]string{
	"AMW": "AMW",
	"AOC": "AOC International (USA) Ltd.",
	"BMM": "BMM",
	"BNQ": "BenQ Corporation",
	"EIZ": "EIZO",
	"ELO": "Tyco Electronics",
	"GSM": "Goldstar Company Ltd",
	"HEI": "Hyundai Electronics Industries Co., Ltd.",
	"HPC": "Hewlett Packard Co.",
	"HPQ": "HP",
	"HSD": "Hannspree Inc",
	"HSL": "Hansol Electronics",
	"IBM": "IBM France",
	"IMP": "Impression Products Incorporated",
	"NAN": "NANAO",
	"OQI": "OPTIQUEST",
	"SNY": "Sony Corporation",
	"TOS": "Toshiba Corporation",
	"ZCM": "Zenith Data Systems",
}

// pnpName names the maker behind a three-letter PNP id, or returns "".
func pnpName(id string) string {
	if name, ok := pnpCompatNames[id]; ok {
		return name
	}
	n := len(pnpIDs) / 3
	i := sort.Search(n, func(i int) bool { return pnpIDs[3*i:3*i+3] >= id })
	if i == n || pnpIDs[3*i:3*i+3] != id {
		return ""
	}
	start := uint32(0)
	if i > 0 {
		start = pnpNameEnds[i-1]
	}
	return pnpNames[start:pnpNameEnds[i]]
}
