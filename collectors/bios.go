package collectors

import (
	"fmt"
	"strings"
)

// BIOS is the bios section: firmware, system, board and chassis identity.
type BIOS struct {
	AssetTag        string `json:"assettag,omitempty"`
	BDate           string `json:"bdate,omitempty"`
	BManufacturer   string `json:"bmanufacturer,omitempty"`
	BVersion        string `json:"bversion,omitempty"`
	MManufacturer   string `json:"mmanufacturer,omitempty"`
	MModel          string `json:"mmodel,omitempty"`
	MSN             string `json:"msn,omitempty"`
	SKUNumber       string `json:"skunumber,omitempty"`
	SManufacturer   string `json:"smanufacturer,omitempty"`
	SModel          string `json:"smodel,omitempty"`
	SSN             string `json:"ssn,omitempty"`
	BIOSSerial      string `json:"biosserial,omitempty"`
	EnclosureSerial string `json:"enclosureserial,omitempty"`
	SecureBoot      string `json:"secure_boot,omitempty"`
}

var dmiDate = lazyRE(`^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$`)

// biosDate converts an SMBIOS release date ("MM/DD/YYYY", or "MM/DD/YY" on
// firmware older than SMBIOS 2.3, meaning 19YY) to "YYYY-MM-DD". Dates in
// another shape are dropped, as the inventory format accepts only this one.
func biosDate(s string) string {
	m := dmiDate.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return ""
	}
	year := m[3]
	if len(year) == 2 {
		year = "19" + year
	}
	month, day := atoi(m[1]), atoi(m[2])
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return ""
	}
	return fmt.Sprintf("%s-%02d-%02d", year, month, day)
}

// officialSSN returns the system serial as the official agent reads it
// with dmidecode (Generic/Dmidecode/Bios.pm), from the raw system, chassis
// and board serials and the system UUID: the system's; the chassis's when
// the system's is none; on VirtualBox, whose serials are "0", the system
// UUID in lower case. GLPI finds a computer by its serial first. A system
// serial that is no placeholder is always the one sent: the enrollment
// service checks it against the fingerprint's (Signals.Serial).
func officialSSN(system, chassis, board, boardModel, uuid string) string {
	if ssn := clean(system); ssn != "" {
		return ssn
	}
	ssn := dmidecodeValue(system)
	if ssn == "" {
		ssn = dmidecodeValue(chassis)
	}
	if boardModel == "VirtualBox" && !perlTrue(ssn) && !perlTrue(dmidecodeValue(board)) && cleanUUID(uuid) != "" {
		ssn = strings.ToLower(cleanUUID(uuid))
	}
	return clean(ssn)
}

var lenovoModel = lazyRE(`(?i)^(think|idea|yoga|netfinity|netvista|intelli)`)

// fixLenovoModel swaps model and SKU on Lenovo machines, whose SMBIOS product
// name is a machine-type code ("20XWS0AK00") while the version holds the
// model ("ThinkPad X1 Carbon Gen 9").
func fixLenovoModel(b *BIOS, version string) {
	if strings.EqualFold(b.SManufacturer, "lenovo") && lenovoModel.MatchString(version) {
		b.SKUNumber, b.SModel = b.SModel, version
	}
}

// secureBootState decodes the SecureBoot EFI variable: four bytes of
// attributes, then one byte, 1 when secure boot is on.
func secureBootState(v []byte) string {
	if len(v) < 5 {
		return ""
	}
	if v[4] == 1 {
		return "enabled"
	}
	return "disabled"
}
