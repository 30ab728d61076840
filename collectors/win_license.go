package collectors

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
)

// LicenseInfo is one software license of the licenseinfos section.
type LicenseInfo struct {
	Name       string `json:"name,omitempty"`
	FullName   string `json:"fullname,omitempty"`
	Key        string `json:"key,omitempty"`
	Trial      bool   `json:"trial,omitempty"`
	ProductID  string `json:"productid,omitempty"`
	Components string `json:"components,omitempty"`
	Update     string `json:"update,omitempty"`
}

// softwareLicensingProduct is a product of the Software Protection Platform,
// which licenses Windows and Office 2013 and later.
type softwareLicensingProduct struct {
	ID, Name, Description, ApplicationID, LicenseFamily string
	PartialProductKey, ProductKeyChannel                string
	ProductKeyID, ProductKeyID2                         string
	LicenseStatus                                       uint32
	GracePeriodRemaining                                uint32 // minutes
}

// windowsAppID is the Software Protection Platform's application of the
// Windows products; Office's is 0ff1ce15-a989-479d-af46-f275c6370663.
const windowsAppID = "55c92734-d682-4d71-983e-d6ec3f16059f"

// licenseGrace reports whether a LicenseStatus is one of the grace periods
// a product runs in before, or instead of, its activation.
func licenseGrace(status uint32) bool {
	switch status {
	case 2, 3, 4, 6:
		return true
	}
	return false
}

// licenseTrial reports whether a product runs on borrowed time: an
// evaluation edition, or a product in a grace period, with time left.
// A licensed KMS client also counts down to its next renewal, but is not
// a trial.
func licenseTrial(p softwareLicensingProduct) bool {
	eval := strings.Contains(strings.ToUpper(p.Description), "EVAL") ||
		strings.Contains(strings.ToUpper(p.ProductKeyChannel), "EVAL")
	return p.GracePeriodRemaining > 0 && (eval || licenseGrace(p.LicenseStatus))
}

// licenseKey masks a product key as GLPI's agent does: the platform only
// keeps its last five characters.
func licenseKey(partial string) string {
	if len(partial) == 5 {
		return "XXXXX-XXXXX-XXXXX-XXXXX-" + partial
	}
	return partial
}

// licenseEntry builds the license of a product as GLPI's agent does: its
// full name is the product's description, its product ID the key's, else
// the application's. windowsID is the product ID Windows shows for the
// edition installed, editionID that edition.
func licenseEntry(p softwareLicensingProduct, windowsID, editionID string) LicenseInfo {
	l := LicenseInfo{
		Name:      p.Name,
		FullName:  p.Description,
		Key:       licenseKey(p.PartialProductKey),
		Trial:     licenseTrial(p),
		ProductID: cmp.Or(p.ProductKeyID2, p.ApplicationID, p.ProductKeyID),
	}
	// Add-ons such as Extended Security Updates are products of Windows
	// too, under another license family than the installed edition.
	if strings.EqualFold(p.ApplicationID, windowsAppID) && editionID != "" && strings.EqualFold(p.LicenseFamily, editionID) {
		l.ProductID = cmp.Or(windowsID, l.ProductID)
	}
	return l
}

// regOffice is the key of Office's versions, whose Registration subkeys
// name the products installed, and hold the product key of Office 2010 and
// earlier.
const regOffice = `SOFTWARE\Microsoft\Office`

// licenseSet collects licenses by product, in the order found. An entry
// without key names a product only, for the license found later.
type licenseSet struct {
	ids []string
	by  map[string]*licenseSlot
}

type licenseSlot struct {
	lic         LicenseInfo
	productCode string // the product this registration is a part of
}

func (ls *licenseSet) put(id string, s licenseSlot) {
	if ls.by == nil {
		ls.by = map[string]*licenseSlot{}
	}
	if _, ok := ls.by[id]; !ok {
		ls.ids = append(ls.ids, id)
	}
	ls.by[id] = &s
}

func (ls *licenseSet) remove(id string) {
	delete(ls.by, id)
	ls.ids = slices.DeleteFunc(ls.ids, func(i string) bool { return i == id })
}

// licenses lists the licenses with a key.
func (ls *licenseSet) licenses() []LicenseInfo {
	var out []LicenseInfo
	for _, id := range ls.ids {
		if l := ls.by[id].lic; l.Key != "" {
			out = append(out, l)
		}
	}
	return out
}

var (
	registrationID = lazyRE(`[-\w]+`)
	componentName  = lazyRE(`^(\w+)NameVersion$`)
	trailingDigits = lazyRE(`\d+$`)
)

// scanOfficeLicenses adds the products of Office's registrations in one
// registry view, as GLPI's agent reads them: a registration with a
// DigitalProductID is a license, with its key decoded; one with a
// ProductCode and a ProductName names the product it is a part of (and
// replaces the former, as the official agent does).
func scanOfficeLicenses(reg registrySource, view regView, ls *licenseSet) {
	for _, version := range regSubKeys(reg, hklm, regOffice, view) {
		base := regOffice + `\` + version + `\Registration`
		for _, sub := range regSubKeys(reg, hklm, base, view) {
			id := strings.ToLower(registrationID.FindString(sub))
			if id == "" {
				continue
			}
			k, err := reg.OpenKey(hklm, base+`\`+sub, view)
			if err != nil {
				continue
			}
			v := regValues{k}
			if raw := v.bin("DigitalProductID"); len(raw) > 0 {
				ls.put(id, licenseSlot{lic: officeLicense(v)})
			}
			if code, name := v.str("ProductCode"), v.str("ProductName"); code != "" && name != "" {
				ls.put(id, licenseSlot{
					lic:         LicenseInfo{FullName: name, Trial: strings.Contains(strings.ToLower(v.str("ProductNameBrand")), "trial")},
					productCode: strings.ToLower(registrationID.FindString(code)),
				})
			}
			v.close()
		}
	}
}

// officeLicense reads the license of an Office registration: its key, the
// product and edition names, the service pack, and its components, the
// applications it names ("ExcelNameVersion").
func officeLicense(v regValues) LicenseInfo {
	l := LicenseInfo{
		Key:       decodeProductKey(v.bin("DigitalProductID")),
		ProductID: v.str("ProductID"),
		Update:    v.str("SPLevel"),
		FullName:  cmp.Or(v.str("ProductName"), v.str("ConvertToEdition")),
		Name:      cmp.Or(v.str("ProductNameNonQualified"), v.str("ProductNameVersion")),
	}
	trial := regNumber(v, "TrialType")
	if n, err := strconv.ParseUint(trailingDigits.FindString(trial), 10, 64); err == nil && n != 0 {
		l.Trial = true
	}
	if lister, ok := v.k.(regValueLister); ok {
		names, _ := lister.ValueNames()
		var comps []string
		for _, n := range names {
			if m := componentName.FindStringSubmatch(n); m != nil {
				comps = append(comps, m[1])
			}
		}
		slices.Sort(comps)
		l.Components = strings.Join(comps, "/")
	}
	return l
}

// productKeyDigits are the characters of Microsoft product keys.
const productKeyDigits = "BCDFGHJKMPQRTVWXY2346789"

// decodeProductKey decodes the product key a DigitalProductID holds in
// base 24: 15 bytes from offset 808 in the blobs of Office 2010 and later,
// from offset 52 in older ones. Keys of Windows 8 and Office 2013 and
// later may hold an N, whose position the first digit gives.
func decodeProductKey(raw []byte) string {
	at := 52
	if len(raw) > 808 {
		at = 808
	}
	if len(raw) < at+15 {
		return ""
	}
	b := slices.Clone(raw[at : at+15])
	withN := b[14]>>3&1 == 1
	b[14] &^= 0x08
	if !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) {
		return ""
	}
	digits := make([]byte, 25)
	for i := len(digits) - 1; i >= 0; i-- {
		rem := 0
		for j := len(b) - 1; j >= 0; j-- {
			v := rem<<8 | int(b[j])
			b[j] = byte(v / len(productKeyDigits))
			rem = v % len(productKeyDigits)
		}
		digits[i] = productKeyDigits[rem]
	}
	if withN {
		pos := max(strings.IndexByte(productKeyDigits, digits[0]), 0)
		rest := digits[1:]
		digits = slices.Concat(rest[:pos], []byte{'N'}, rest[pos:])
	}
	var out strings.Builder
	for i, c := range digits {
		if i > 0 && i%5 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(c)
	}
	return out.String()
}

// winLicenses builds the licenseinfos section as GLPI's agent does: the
// Office registrations of both registry views, then the products of the
// Software Protection Platform with a key installed and a license status
// (Windows, its add-ons, Office 2013 and later). A product the registry
// names takes its full name from there, and a product whose registry
// license has the same key is listed once, from the registry. Unlike the
// official agent, Windows' own products are listed too.
func winLicenses(ctx context.Context, env *Env) (any, error) {
	h, err := env.windows(ctx)
	if err != nil {
		return nil, err
	}
	products, err := queryWMI[softwareLicensingProduct](h.wmi, "SoftwareLicensingProduct", "PartialProductKey IS NOT NULL")
	if err != nil {
		return nil, err
	}
	var ls licenseSet
	scanOfficeLicenses(h.reg, view64, &ls)
	if is64BitWindows(h.reg) {
		scanOfficeLicenses(h.reg, view32, &ls)
	}
	cv := openValues(h.reg, hklm, regCurrentVersion, view64)
	defer cv.close()
	windowsID, editionID := cv.str("ProductId"), cv.str("EditionID")
	for i, p := range products {
		if p.PartialProductKey == "" || p.LicenseStatus == 0 {
			continue
		}
		l := licenseEntry(p, windowsID, editionID)
		id := strings.ToLower(p.ID)
		if id == "" {
			// Real products have an ID; one without is merged with none.
			ls.put("#"+strconv.Itoa(i), licenseSlot{lic: l})
			continue
		}
		prev, ok := ls.by[id]
		if !ok {
			ls.put(id, licenseSlot{lic: l})
			continue
		}
		l.FullName = cmp.Or(prev.lic.FullName, l.FullName)
		l.Trial = l.Trial || prev.lic.Trial
		target := id
		if prev.productCode != "" {
			target = prev.productCode
			if t, ok := ls.by[target]; ok && t.lic.Key != "" && len(p.PartialProductKey) == 5 && strings.HasSuffix(t.lic.Key, p.PartialProductKey) {
				continue // the registry tells more of the same license
			}
		}
		ls.remove(id)
		ls.put(target, licenseSlot{lic: l})
	}
	out := ls.licenses()
	if len(out) == 0 {
		return nil, NoData("no product key installed")
	}
	return out, nil
}
