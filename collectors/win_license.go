package collectors

import (
	"cmp"
	"strings"
)

// LicenseInfo is one software license of the licenseinfos section.
type LicenseInfo struct {
	Name      string `json:"name,omitempty"`
	FullName  string `json:"fullname,omitempty"`
	Key       string `json:"key,omitempty"`
	Trial     bool   `json:"trial,omitempty"`
	ProductID string `json:"productid,omitempty"`
}

// softwareLicensingProduct is a product of the Software Protection Platform,
// which licenses Windows and Office 2013 and later.
type softwareLicensingProduct struct {
	Name, Description, ApplicationID, LicenseFamily     string
	PartialProductKey, ProductKeyChannel, ProductKeyID2 string
	LicenseStatus                                       uint32
	GracePeriodRemaining                                uint32 // minutes
}

// windowsAppID is the Software Protection Platform's application of the
// Windows products; Office's is 0ff1ce15-a989-479d-af46-f275c6370663.
const windowsAppID = "55c92734-d682-4d71-983e-d6ec3f16059f"

// licenseStatuses name the values of SoftwareLicensingProduct.LicenseStatus
// as slmgr /dlv does.
var licenseStatuses = [...]string{
	0: "Unlicensed",
	1: "Licensed",
	2: "Initial grace period",
	3: "Additional grace period",
	4: "Non-genuine grace period",
	5: "Notification",
	6: "Extended grace period",
}

// licenseStatus names a LicenseStatus, "" when unknown.
func licenseStatus(status uint32) string {
	if status < uint32(len(licenseStatuses)) {
		return licenseStatuses[status]
	}
	return ""
}

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

// licenseEntry builds the license of a product. windowsID is the product
// ID Windows shows for the edition installed, editionID that edition.
func licenseEntry(p softwareLicensingProduct, windowsID, editionID string) LicenseInfo {
	l := LicenseInfo{
		Name:      p.Name,
		FullName:  p.Description,
		Key:       licenseKey(p.PartialProductKey),
		Trial:     licenseTrial(p),
		ProductID: p.ProductKeyID2,
	}
	if s := licenseStatus(p.LicenseStatus); s != "" {
		l.FullName = strings.TrimSpace(l.FullName + " (" + s + ")")
	}
	// Add-ons such as Extended Security Updates are products of Windows
	// too, under another license family than the installed edition.
	if strings.EqualFold(p.ApplicationID, windowsAppID) && editionID != "" && strings.EqualFold(p.LicenseFamily, editionID) {
		l.ProductID = cmp.Or(windowsID, l.ProductID)
	}
	return l
}

// winLicenses builds the licenseinfos section from the products with a key
// installed: Windows, its add-ons and Office.
func winLicenses(h winHost) ([]LicenseInfo, error) {
	products, err := queryWMI[softwareLicensingProduct](h.wmi, "SoftwareLicensingProduct", "PartialProductKey IS NOT NULL")
	if err != nil {
		return nil, err
	}
	cv := openValues(h.reg, hklm, regCurrentVersion, view64)
	defer cv.close()
	windowsID, editionID := cv.str("ProductId"), cv.str("EditionID")
	var out []LicenseInfo
	for _, p := range products {
		if p.PartialProductKey == "" {
			continue
		}
		out = append(out, licenseEntry(p, windowsID, editionID))
	}
	if len(out) == 0 {
		return nil, NoData("no product key installed")
	}
	return out, nil
}
