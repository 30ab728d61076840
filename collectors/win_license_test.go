package collectors

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"
)

func TestLicenseGrace(t *testing.T) {
	for status, want := range map[uint32]bool{0: false, 1: false, 2: true, 3: true, 4: true, 5: false, 6: true, 7: false, 1 << 31: false} {
		if got := licenseGrace(status); got != want {
			t.Errorf("licenseGrace(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestLicenseKey(t *testing.T) {
	for in, want := range map[string]string{
		"3V66T": "XXXXX-XXXXX-XXXXX-XXXXX-3V66T",
		"":      "",
		"ABC":   "ABC",
	} {
		if got := licenseKey(in); got != want {
			t.Errorf("licenseKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLicenseEntry(t *testing.T) {
	const office = "0ff1ce15-a989-479d-af46-f275c6370663"
	for _, tc := range []struct {
		name string
		in   softwareLicensingProduct
		want LicenseInfo
	}{
		{"oem licensed",
			softwareLicensingProduct{Name: "Windows(R), Professional edition", Description: "Windows(R) Operating System, OEM_DM channel",
				ApplicationID: windowsAppID, LicenseFamily: "Professional", PartialProductKey: "3V66T", ProductKeyChannel: "OEM:DM",
				ProductKeyID2: "00330-80000-00000-AA999", LicenseStatus: 1},
			LicenseInfo{Name: "Windows(R), Professional edition", FullName: "Windows(R) Operating System, OEM_DM channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-3V66T", ProductID: "00330-80000-00000-AA111"}},
		{"kms client counting down is no trial",
			softwareLicensingProduct{Description: "Windows(R) Operating System, VOLUME_KMSCLIENT channel", ApplicationID: windowsAppID,
				LicenseFamily: "Enterprise", PartialProductKey: "2YT43", LicenseStatus: 1, GracePeriodRemaining: 259200},
			LicenseInfo{FullName: "Windows(R) Operating System, VOLUME_KMSCLIENT channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-2YT43",
				ProductID: windowsAppID}},
		{"initial grace",
			softwareLicensingProduct{Description: "Windows(R) Operating System, RETAIL channel", ApplicationID: windowsAppID,
				LicenseFamily: "ServerDatacenter", PartialProductKey: "WX4NM", LicenseStatus: 2, GracePeriodRemaining: 43200},
			LicenseInfo{FullName: "Windows(R) Operating System, RETAIL channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-WX4NM",
				Trial: true, ProductID: windowsAppID}},
		{"notification after grace",
			softwareLicensingProduct{Description: "Windows(R) Operating System, RETAIL channel", ApplicationID: windowsAppID,
				PartialProductKey: "WX4NM", LicenseStatus: 5},
			LicenseInfo{FullName: "Windows(R) Operating System, RETAIL channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-WX4NM", ProductID: windowsAppID}},
		{"evaluation",
			softwareLicensingProduct{Description: "Windows(R) Operating System, TIMEBASED_EVAL channel", ApplicationID: windowsAppID,
				PartialProductKey: "QDTV7", ProductKeyChannel: "Retail:TB:Eval", LicenseStatus: 1, GracePeriodRemaining: 256000},
			LicenseInfo{FullName: "Windows(R) Operating System, TIMEBASED_EVAL channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-QDTV7",
				Trial: true, ProductID: windowsAppID}},
		{"add-on keeps its own product id",
			softwareLicensingProduct{Name: "Windows(R), Client-ESU-Year1 add-on for Education,Enterprise,Professional", ApplicationID: windowsAppID,
				LicenseFamily: "Client-ESU-Year1", PartialProductKey: "K9M3Q", ProductKeyID2: "00329-00000-00003-AA555", LicenseStatus: 1},
			LicenseInfo{Name: "Windows(R), Client-ESU-Year1 add-on for Education,Enterprise,Professional",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-K9M3Q", ProductID: "00329-00000-00003-AA555"}},
		{"office unlicensed",
			softwareLicensingProduct{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", Description: "Office 21, VOLUME_KMSCLIENT channel",
				ApplicationID: office, LicenseFamily: "Professional", PartialProductKey: "6F7TH", ProductKeyID2: "00356-20000-00000-AA000"},
			LicenseInfo{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", FullName: "Office 21, VOLUME_KMSCLIENT channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-6F7TH", ProductID: "00356-20000-00000-AA000"}},
		{"unknown status",
			softwareLicensingProduct{Description: "Office 21, RETAIL channel", ApplicationID: office, PartialProductKey: "ABCDE", LicenseStatus: 9},
			LicenseInfo{FullName: "Office 21, RETAIL channel", Key: "XXXXX-XXXXX-XXXXX-XXXXX-ABCDE", ProductID: office}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := licenseEntry(tc.in, "00330-80000-00000-AA111", "professional"); got != tc.want {
				t.Errorf("licenseEntry(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestWinLicenses(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []LicenseInfo
	}{
		{"laptop", []LicenseInfo{
			{Name: "Windows(R), Professional edition", FullName: "Windows(R) Operating System, OEM_DM channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-8HVX7", ProductID: "00330-80000-00000-AA452"},
		}},
		{"desktop", []LicenseInfo{
			{Name: "Windows(R), Enterprise edition", FullName: "Windows(R) Operating System, VOLUME_KMSCLIENT channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-2YT43", ProductID: "00329-00000-00003-AA066"},
			{Name: "Office 21, Office21ProPlus2021VL_KMS_Client_AE edition", FullName: "Office 21, VOLUME_KMSCLIENT channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-6F7TH", ProductID: "00356-20000-00000-AA871"},
		}},
		{"server", []LicenseInfo{
			{Name: "Windows(R), ServerStandard edition", FullName: "Windows(R) Operating System, RETAIL channel",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-7JT2V", Trial: true, ProductID: "00454-40000-00001-AA596"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := winFixture("testdata/windows/" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := collectWin[[]LicenseInfo](t, winLicenses, h)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("winLicenses(%s) = %+v, want %+v", tc.name, got, tc.want)
			}
		})
	}
	h, err := winFixture(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := collectWin[[]LicenseInfo](t, winLicenses, h); !errors.Is(err, ErrNoData) {
		t.Errorf("winLicenses(empty machine) error = %v, want ErrNoData", err)
	}
}

// encodeProductKey builds a DigitalProductID of size bytes holding key (25
// digits, without N) at offset, as Office and Windows store it.
func encodeProductKey(t *testing.T, key string, size, offset int, withN bool) []byte {
	t.Helper()
	n := new(big.Int)
	for _, c := range strings.ReplaceAll(key, "-", "") {
		i := strings.IndexRune(productKeyDigits, c)
		if i < 0 {
			t.Fatalf("bad key digit %q", c)
		}
		n.Mul(n, big.NewInt(24)).Add(n, big.NewInt(int64(i)))
	}
	raw := make([]byte, size)
	be := n.FillBytes(make([]byte, 15))
	for i := range 15 {
		raw[offset+i] = be[14-i]
	}
	if withN {
		raw[offset+14] |= 0x08
	}
	return raw
}

func TestDecodeProductKey(t *testing.T) {
	const key = "W7227-979WY-QQB79-3Q6MR-JVB9D"
	for _, tc := range []struct {
		name         string
		size, offset int
		withN        bool
		want         string
	}{
		{"office 2010 and later", 1272, 808, false, key},
		{"older", 164, 52, false, key},
		// The first digit, D (third of the alphabet), puts the N third.
		{"with N", 1272, 808, true, "W7N22-7979W-YQQB7-93Q6M-RJVB9"},
	} {
		raw := encodeProductKey(t, key, tc.size, tc.offset, false)
		if tc.withN {
			raw = encodeProductKey(t, "D"+strings.ReplaceAll(key, "-", "")[:24], tc.size, tc.offset, true)
		}
		if got := decodeProductKey(raw); got != tc.want {
			t.Errorf("%s: decodeProductKey = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, raw := range [][]byte{nil, make([]byte, 40), make([]byte, 1272)} {
		if got := decodeProductKey(raw); got != "" {
			t.Errorf("decodeProductKey(%d bytes without key) = %q, want none", len(raw), got)
		}
	}
}

// productsWMI answers SoftwareLicensingProduct queries with its products.
type productsWMI []softwareLicensingProduct

func (p productsWMI) Query(_, _ string, dst any) error {
	*dst.(*[]softwareLicensingProduct) = slices.Clone(p)
	return nil
}

func regHex(b []byte) string {
	var s []string
	for _, c := range b {
		s = append(s, fmt.Sprintf("%02x", c))
	}
	return strings.Join(s, ",")
}

func TestWinLicensesOffice(t *testing.T) {
	reg := `Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Office\14.0\Registration\{AAAAAAAA-0000-0000-0000-0000000FF1CE}]
"ProductID"="11111-222-3333333-44444"
"DigitalProductID"=hex:` + regHex(encodeProductKey(t, "W7227-979WY-QQB79-3Q6MR-JVB9D", 1272, 808, false)) + `
"SPLevel"="SP2"
"ProductNameNonQualified"="Widget Office"
"ConvertToEdition"="Widget Office Professional 2010"
"TrialType"=dword:00000000
"WordNameVersion"="Widget Word 2010"
"ExcelNameVersion"="Widget Excel 2010"
"ExcelName"="Widget Excel"

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Office\16.0\Registration\{CCCCCCCC-0000-0000-0000-0000000FF1CE}]
"ProductID"="55555-66666-77777-AA888"
"DigitalProductID"=hex:` + regHex(encodeProductKey(t, "BCDFG-HJKMP-QRTVW-XY234-6789B", 1272, 808, false)) + `

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Office\16.0\Registration\{BBBBBBBB-0000-0000-0000-000000000000}]
"ProductCode"="{CCCCCCCC-0000-0000-0000-0000000FF1CE}"
"ProductName"="Widget Office Professional Plus 2016"
"ProductNameBrand"="Widget Office Professional Plus 2016"
`
	r, err := parseRegFile([]byte(reg))
	if err != nil {
		t.Fatal(err)
	}
	office2010 := LicenseInfo{Name: "Widget Office", FullName: "Widget Office Professional 2010", Key: "W7227-979WY-QQB79-3Q6MR-JVB9D",
		ProductID: "11111-222-3333333-44444", Components: "Excel/Word", Update: "SP2"}
	kms := softwareLicensingProduct{ID: "BBBBBBBB-0000-0000-0000-000000000000", Name: "Office 16, Office16ProPlusVL_KMS_Client edition",
		Description: "Office 16, VOLUME_KMSCLIENT channel", ApplicationID: "0ff1ce15-a989-479d-af46-f275c6370663",
		PartialProductKey: "PQRST", ProductKeyID2: "00339-10000-00000-AA999", LicenseStatus: 1}
	sameKey := kms
	sameKey.PartialProductKey = "6789B"
	unlicensed := kms
	unlicensed.LicenseStatus = 0
	for _, tc := range []struct {
		name     string
		products []softwareLicensingProduct
		want     []LicenseInfo
	}{
		{"registry only", nil, []LicenseInfo{office2010,
			{FullName: "", Key: "BCDFG-HJKMP-QRTVW-XY234-6789B", ProductID: "55555-66666-77777-AA888"}}},
		// The platform's license replaces the registry's of the product
		// its registration names, and takes the registration's name.
		{"platform license of a registered product", []softwareLicensingProduct{kms}, []LicenseInfo{office2010,
			{Name: "Office 16, Office16ProPlusVL_KMS_Client edition", FullName: "Widget Office Professional Plus 2016",
				Key: "XXXXX-XXXXX-XXXXX-XXXXX-PQRST", ProductID: "00339-10000-00000-AA999"}}},
		{"same key as the registry", []softwareLicensingProduct{sameKey}, []LicenseInfo{office2010,
			{Key: "BCDFG-HJKMP-QRTVW-XY234-6789B", ProductID: "55555-66666-77777-AA888"}}},
		{"unlicensed product", []softwareLicensingProduct{unlicensed}, []LicenseInfo{office2010,
			{Key: "BCDFG-HJKMP-QRTVW-XY234-6789B", ProductID: "55555-66666-77777-AA888"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := collectWin[[]LicenseInfo](t, winLicenses, winHost{reg: r, wmi: productsWMI(tc.products)})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("winLicenses = %+v, want %+v", got, tc.want)
			}
		})
	}
}
